// The grading screen, keyboard first. Move over the grid of criteria x responses with the arrows
// or h j k l, mark the active cell with 1/y (met) or 0/n (not met), write a note with e, submit
// with Enter or Ctrl+Enter. Every mark is one cell form posted by htmx at once; the cell shows
// "Saving…" until the server's copy of the cell replaces it. A save that fails (server error,
// network, signed out) is shown on its cell and retried with backoff until it succeeds, and the
// page refuses to submit or be left while any mark is unsaved. Saves go one at a time, in order.
// Without JavaScript the same forms post normally and the page reloads at the cell.
(function () {
  "use strict";

  var grid = document.getElementById("grading-grid");
  if (!grid) {
    return;
  }
  var text = grid.dataset;
  var submitForm = document.getElementById("submit-form");
  var rows = Array.prototype.slice.call(grid.tBodies[0].rows);
  var letters = Array.prototype.map.call(
    grid.tHead.querySelectorAll("th[data-letter]"),
    function (th) {
      return th.dataset.letter;
    }
  );
  var position = { row: 0, col: 0 };
  var lastAction = Date.now();
  // Cell id -> {met: "1" | "0" | "" (keep), seconds, version, attempt, failed, timer}: what the
  // grader asked of the cell and the server has not confirmed yet.
  var pending = new Map();
  var queue = []; // ids of cells to send, in order
  var sending = null; // {id, version, seconds, failed} of the request in flight
  // Ids of cells whose note was being written when the server's copy arrived. The textarea
  // itself is kept across the swap (hx-preserve), with what was typed and the caret; its
  // <details> is opened again.
  var writing = new Set();

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function cellAt(row, col) {
    var tr = rows[row];
    return tr ? tr.cells[col + 1] : null; // cells[0] is the criterion's <th>
  }

  function cellOf(element) {
    var cell = element && element.closest ? element.closest("td.cell") : null;
    return cell && grid.contains(cell) ? cell : null;
  }

  function locate(cell) {
    var tr = cell.parentElement;
    return { row: rows.indexOf(tr), col: Array.prototype.indexOf.call(tr.cells, cell) - 1 };
  }

  function secondsSinceLastAction() {
    var now = Date.now();
    var seconds = Math.round((now - lastAction) / 1000);
    lastAction = now;
    return seconds;
  }

  // --- the active cell ------------------------------------------------------------------------

  function activate(row, col, focus) {
    if (!rows.length) {
      return;
    }
    row = clamp(row, 0, rows.length - 1);
    col = clamp(col, 0, letters.length - 1);
    var previous = cellAt(position.row, position.col);
    if (previous) {
      previous.classList.remove("is-active");
      previous.tabIndex = -1;
      rows[position.row].classList.remove("is-active-row");
    }
    position = { row: row, col: col };
    var cell = cellAt(row, col);
    cell.classList.add("is-active");
    cell.tabIndex = 0;
    rows[row].classList.add("is-active-row");
    document.querySelectorAll(".response-pane").forEach(function (pane) {
      pane.classList.toggle("is-active-column", pane.id === "response-" + letters[col]);
    });
    if (focus !== false) {
      cell.focus({ preventScroll: true });
      cell.scrollIntoView({ block: "nearest" });
    }
  }

  function move(rowStep, colStep) {
    activate(position.row + rowStep, position.col + colStep);
  }

  function advance() {
    if (position.col < letters.length - 1) {
      activate(position.row, position.col + 1);
    } else if (position.row < rows.length - 1) {
      activate(position.row + 1, 0);
    }
  }

  function scrollResponse(direction) {
    var pane = document.getElementById("response-" + letters[position.col]);
    if (pane) {
      pane.scrollBy({ top: direction * pane.clientHeight * 0.6, behavior: "smooth" });
    }
  }

  // --- marks and notes ------------------------------------------------------------------------
  // What the grader asks of a cell is kept in `pending` (the latest wish per cell wins) and sent
  // by one queue, one request at a time, in order, through the cell's own form. A wish made while
  // its cell is being sent is sent again once that answer is in.

  function buttonFor(cell, intent) {
    return intent === "note"
      ? cell.querySelector("button[name=save_note]")
      : cell.querySelector('button.mark[value="' + intent + '"]');
  }

  // Whether the server has the cell marked, read from its mark buttons. Not from the cell's
  // classes: when the server's copy of a cell is swapped in, htmx copies the old cell's attributes
  // onto it until it settles (20 ms later, far more when the machine is loaded), so a cell whose
  // first mark has just been saved still looks unmarked meanwhile.
  function isMarked(cell) {
    return !!cell.querySelector('button.mark[aria-pressed="true"]');
  }

  function wish(cell, intent) {
    var button = cell && buttonFor(cell, intent);
    if (!button || button.disabled) {
      return false;
    }
    var state = pending.get(cell.id) || { met: "", seconds: 0, attempt: 0, version: 0 };
    if (intent === "note" && !state.met && !isMarked(cell)) {
      // A note needs a mark; it stays in the cell and goes with the mark.
      setStatus(cell, "cell-hint", text.markFirstMessage);
      return false;
    }
    if (intent !== "note") {
      state.met = intent;
    }
    state.seconds += secondsSinceLastAction();
    state.version += 1;
    state.failed = false;
    clearTimeout(state.timer);
    pending.set(cell.id, state);
    showPending(cell, state.met);
    enqueue(cell.id);
    return true;
  }

  function enqueue(id) {
    if (queue.indexOf(id) === -1) {
      queue.push(id);
    }
    pump();
  }

  function pump() {
    if (sending || !queue.length) {
      return;
    }
    var id = queue.shift();
    var state = pending.get(id);
    var cell = document.getElementById(id);
    if (!state || !cell) {
      pump();
      return;
    }
    var form = cell.querySelector("form");
    var flight = { id: id, version: state.version, seconds: state.seconds, failed: false };
    sending = flight;
    var finish = function () {
      sending = null;
      if (!flight.failed) {
        settle(flight);
      }
      pump();
    };
    htmx
      .ajax("POST", form.getAttribute("hx-post"), {
        source: form,
        values: { met: state.met, seconds: "" + state.seconds },
      })
      .then(finish, finish);
  }

  // The server answered a cell (saved, or refused with its reason, now shown on it): the wish is
  // done, unless the grader changed the cell again meanwhile; then that newer wish is sent.
  function settle(flight) {
    var state = pending.get(flight.id);
    if (!state) {
      return;
    }
    if (state.version === flight.version) {
      clearTimeout(state.timer);
      pending.delete(flight.id);
    } else {
      state.seconds -= flight.seconds;
      enqueue(flight.id);
    }
  }

  function mark(intent) {
    if (wish(cellAt(position.row, position.col), intent)) {
      advance();
    }
  }

  function openNote() {
    var cell = cellAt(position.row, position.col);
    var details = cell.querySelector("details.cell-note");
    var area = details && details.querySelector("textarea");
    if (area) {
      details.open = true;
      area.focus();
      area.setSelectionRange(area.value.length, area.value.length);
    }
  }

  function closeNote(area) {
    var cell = cellOf(area);
    area.closest("details").open = false;
    var place = locate(cell);
    activate(place.row, place.col);
  }

  function setStatus(cell, className, message) {
    var status = cell.querySelector(".cell-status");
    status.textContent = "";
    var span = document.createElement("span");
    span.className = className;
    span.textContent = message;
    status.appendChild(span);
  }

  function showPending(cell, met) {
    cell.classList.add("is-pending");
    cell.classList.remove("is-failed");
    cell.querySelectorAll("button.mark").forEach(function (button) {
      button.toggleAttribute("data-intended", button.value === met);
    });
    setStatus(cell, "cell-pending", text.savingMessage);
  }

  function fail(cell, message) {
    var state = pending.get(cell.id);
    if (sending && sending.id === cell.id) {
      sending.failed = true;
    }
    if (!state) {
      return;
    }
    state.failed = true;
    state.attempt += 1;
    var delay = Math.min(30, Math.pow(2, state.attempt - 1));
    cell.classList.add("is-failed");
    setStatus(
      cell,
      "cell-failed",
      (message || text.retryingMessage).replace("%(seconds)s", String(delay))
    );
    clearTimeout(state.timer);
    state.timer = setTimeout(function () {
      if (pending.get(cell.id) === state) {
        enqueue(cell.id);
      }
    }, delay * 1000);
  }

  function updateProgress() {
    var counter = document.querySelector("[data-marked-count]");
    if (counter) {
      counter.textContent = grid.querySelectorAll("td.is-met, td.is-not-met").length;
    }
  }

  // Clicks on a cell's buttons go through the same queue as the keys.
  grid.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    var cell = cellOf(button);
    if (!cell || button.disabled) {
      return;
    }
    event.preventDefault();
    wish(cell, button.name === "save_note" ? "note" : button.value);
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var cell = cellOf(event.detail.elt);
    if (!cell) {
      return;
    }
    var url = event.detail.xhr.responseURL || "";
    if (url.indexOf(text.loginUrl) !== -1) {
      // The session ended: the answer is the login page, not the cell.
      event.detail.shouldSwap = false;
      fail(cell, text.signedOutMessage);
      return;
    }
    var area = cell.querySelector("textarea");
    if (area && document.activeElement === area) {
      writing.add(cell.id);
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var cell = cellOf(event.target);
    if (cell && writing.delete(cell.id)) {
      var details = cell.querySelector("details.cell-note");
      var area = details && details.querySelector("textarea");
      if (area) {
        details.open = true;
        area.focus();
      }
    }
  });

  function onError(event) {
    var cell = cellOf(event.detail.elt);
    if (cell) {
      fail(cell);
    }
  }
  document.body.addEventListener("htmx:responseError", onError);
  document.body.addEventListener("htmx:sendError", onError);
  document.body.addEventListener("htmx:timeout", onError);

  // A cell came back from the server: keep it the active one if it was, show a newer wish still
  // on its way, count the marked cells.
  document.body.addEventListener("htmx:load", function (event) {
    var cell = event.target;
    if (!cell.matches || !cell.matches("td.cell") || !grid.contains(cell)) {
      return;
    }
    // The request's own promise settles before htmx:load: a wish still here is a newer one.
    var state = pending.get(cell.id);
    if (state) {
      showPending(cell, state.met);
    }
    var place = locate(cell);
    var wasActive = place.row === position.row && place.col === position.col;
    cell.tabIndex = wasActive ? 0 : -1;
    cell.classList.toggle("is-active", wasActive);
    if (wasActive && !grid.contains(document.activeElement)) {
      cell.focus({ preventScroll: true });
    }
    updateProgress();
  });

  // --- submitting -----------------------------------------------------------------------------

  function showSubmitNotice(message) {
    var bar = submitForm.querySelector(".submit-notice") || document.createElement("p");
    bar.className = "submit-notice";
    bar.setAttribute("role", "alert");
    bar.textContent = message;
    submitForm.insertBefore(bar, submitForm.firstChild);
  }

  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      if (pending.size) {
        event.preventDefault();
        showSubmitNotice(text.waitMessage);
        return;
      }
      submitForm.elements.seconds.value = secondsSinceLastAction();
    });
  }

  function submit() {
    if (submitForm) {
      submitForm.requestSubmit();
    }
  }

  window.addEventListener("beforeunload", function (event) {
    if (pending.size) {
      event.preventDefault();
      event.returnValue = text.unsavedMessage;
    }
  });

  // --- keys -----------------------------------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.metaKey || !rows.length) {
      return;
    }
    var target = event.target;
    if (event.key === "Enter" && event.ctrlKey) {
      event.preventDefault();
      submit();
      return;
    }
    if (target.closest(".topbar")) {
      return;
    }
    if (target.matches("textarea, input, select")) {
      if (target.matches(".cell-note textarea")) {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          wish(cellOf(target), "note");
          closeNote(target);
        } else if (event.key === "Escape") {
          event.preventDefault();
          closeNote(target);
        }
      }
      return;
    }
    if (event.ctrlKey) {
      return;
    }
    var handled = true;
    switch (event.key) {
      case "ArrowUp":
        if (event.shiftKey) {
          scrollResponse(-1);
        } else {
          move(-1, 0);
        }
        break;
      case "ArrowDown":
        if (event.shiftKey) {
          scrollResponse(1);
        } else {
          move(1, 0);
        }
        break;
      case "k":
        move(-1, 0);
        break;
      case "j":
        move(1, 0);
        break;
      case "ArrowLeft":
      case "h":
        move(0, -1);
        break;
      case "ArrowRight":
      case "l":
        move(0, 1);
        break;
      case "1":
      case "y":
        mark("1");
        break;
      case "0":
      case "n":
        mark("0");
        break;
      case "e":
        openNote();
        break;
      case "Enter":
        // On a button, link or note summary Enter does what it always does.
        handled = !target.matches("button, a, summary");
        if (handled) {
          submit();
        }
        break;
      default:
        handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });

  // A click or Tab into a cell makes it the active one.
  grid.addEventListener("focusin", function (event) {
    var cell = cellOf(event.target);
    if (cell) {
      var place = locate(cell);
      if (place.row !== position.row || place.col !== position.col) {
        activate(place.row, place.col, false);
      }
    }
  });

  // Start at the cell named in the address (a missing cell, the one just saved without
  // JavaScript), else at the first unmarked cell.
  grid.querySelectorAll("td.cell").forEach(function (cell) {
    cell.tabIndex = -1;
  });
  var start = (location.hash && document.getElementById(location.hash.slice(1))) ||
    grid.querySelector("td.cell.is-missing") ||
    grid.querySelector("td.cell:not(.is-met):not(.is-not-met)") ||
    cellAt(0, 0);
  if (start && cellOf(start)) {
    var place = locate(start);
    activate(place.row, place.col);
  } else {
    activate(0, 0);
  }
})();
