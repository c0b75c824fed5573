"""Seeded generator of a ClinConsensus-scale benchmark.

At scale 1: 2,500 cases x 30 criteria, with Chinese text of realistic lengths (clinical context
300-800 characters, request 50-150, criteria 20-60), written as ClinConsensus JSONL and as
native JSONL, plus one response per case from each of 11 models and their labels: 2 judges on
every response x criterion, 3 physicians on 10% of them. Every case is generated from
(seed, its index) alone, so case CC-00042 is the same at any scale and in any slice: a run can
import the first 2,500 cases and then add cases 2,501-10,000 from another slice.

    python bench/generate.py --scale 1 --seed 7 --out bench/data
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import vocabulary as v

CASES_PER_SCALE = 2_500
CRITERIA_PER_CASE = 30
CONTEXT_CHARS = (300, 800)
REQUEST_CHARS = (50, 150)
CRITERION_CHARS = (20, 60)
RESPONSE_CHARS = (400, 1_500)
AXES = ["axis:accuracy", "axis:completeness", "axis:safety", "axis:communication"]
SPECIALTY_NAMES = list(v.SPECIALTIES)
JUDGES = (("gpt-5.1-grader", "1"), ("clinconsensus-judge-8b", "1"))
PHYSICIANS = ("dr_li", "dr_wang", "dr_zhang")
HUMAN_SHARE = 0.10  # of the response x criterion items, labelled by the three physicians
JUDGED = {"rater_kind": "judge"}


@dataclass(frozen=True)
class Case:
    """One generated case, before it is written in a format."""

    case_id: str
    specialty: str
    task: str
    difficulty: str
    care_stage: str
    user_role: str
    title: str
    clinical_context: str
    user_request: str
    reference_answer: str
    criteria: list[str]

    @property
    def audience(self) -> str:
        return v.USER_ROLES[self.user_role]


def case_id(index: int) -> str:
    return f"CC-{index + 1:05d}"


def _rng(seed: int, *key: object) -> random.Random:
    # String seeds are hashed with SHA-512 by random.seed: stable across runs and platforms.
    return random.Random(":".join(str(k) for k in (seed, *key)))


def _specialty(index: int) -> str:
    return SPECIALTY_NAMES[index % len(SPECIALTY_NAMES)]


def _words(seed: int, index: int) -> dict[str, str]:
    """The diagnosis, drug, examination... one case is about; its responses use the same."""
    rng = _rng(seed, "words", index)
    specialty = _specialty(index)
    symptoms, diagnoses, exams, drugs = v.SPECIALTIES[specialty]
    dx, dx2 = rng.sample(diagnoses, 2)
    return {
        "specialty": specialty,
        "symptom": rng.choice(symptoms),
        "dx": dx,
        "dx2": dx2,
        "exam": rng.choice(exams),
        "drug": rng.choice(drugs),
    }


def _fill_to(rng: random.Random, head: str, pool: list[str], bounds: tuple[int, int]) -> str:
    """`head` followed by sentences of `pool` (in a random order) until a drawn target length."""
    low, high = bounds
    target = rng.randint(low, high)
    text = head
    for sentence in rng.sample(pool, len(pool)):
        if len(text) >= target:
            break
        if len(text) + len(sentence) <= high:
            text += sentence
    return text


_SECTIONS = {"course": "", "history": "既往史：", "exam": "体格检查：", "labs": "辅助检查："}


def _render_context(head: str, picked: list[tuple[str, str]]) -> str:
    parts = [head]
    for section, title in _SECTIONS.items():
        sentences = [text for key, text in picked if key == section]
        if sentences:
            parts.append(title + "；".join(sentences) + "。")
    return "".join(parts)


def _clinical_context(rng: random.Random, words: dict[str, str]) -> str:
    """A case summary in the usual order: complaint, course, history, examination, results."""
    symptoms = v.SPECIALTIES[words["specialty"]][0]
    other = rng.choice([s for s in symptoms if s != words["symptom"]])
    duration = rng.choice(v.DURATIONS)
    head = (
        f"患者{rng.choice(['男', '女'])}，{rng.randint(18, 88)}岁，{rng.choice(v.OCCUPATIONS)}。"
        f"因“{words['symptom']}{duration}，加重{rng.randint(1, 3)}天”就诊。现病史：患者{duration}前"
        f"无明显诱因出现{words['symptom']}，伴{other}。"
    )
    pool = [("course", s) for s in v.COURSE]
    pool += [
        ("course", f"外院{words['exam']}提示异常，报告未带"),
        ("course", f"曾短期使用{words['drug']}"),
    ]
    pool += [("history", s) for s in v.HISTORY]
    pool += [("exam", s) for s in v.EXAM]
    pool += [("labs", s) for s in v.LABS]
    low, high = CONTEXT_CHARS
    target = rng.randint(low, high)
    picked: list[tuple[str, str]] = []
    text = _render_context(head, picked)
    for entry in rng.sample(pool, len(pool)):
        if len(text) >= target:
            break
        longer = _render_context(head, [*picked, entry])
        if len(longer) <= high:
            picked.append(entry)
            text = longer
    return text


def _user_request(rng: random.Random, task: str, user_role: str) -> str:
    opening = {
        "患者": "医生您好，我想问一下，",
        "患者家属": "我是患者家属，想请教一下，",
        "医生": "作为接诊医生，",
        "药师": "从临床药学的角度，",
    }[user_role]
    head = opening + v.REQUESTS[task]
    tails = [t[1:] if t[0] in "，。" else t for t in v.REQUEST_TAILS]
    return _fill_to(rng, head + "。", tails, REQUEST_CHARS)


def _criteria(rng: random.Random, words: dict[str, str]) -> list[str]:
    prefixes = ["", "回答", "对于本例患者，回答", "针对用户的问题，回答应"]
    suffixes = ["", "，且表述准确", "，并给出具体理由", "，避免使用模糊表述", "（结合本例情况）"]
    texts: list[str] = []
    while len(texts) < CRITERIA_PER_CASE:
        text = (
            rng.choice(prefixes)
            + rng.choice(v.CRITERIA).format(**words)
            + rng.choice(suffixes)
            + "。"
        )
        low, high = CRITERION_CHARS
        if len(text) < low:
            text = text[:-1] + "，并说明依据和注意事项。"
        if len(text) <= high and text not in texts:
            texts.append(text)
    return texts


def _answer(rng: random.Random, words: dict[str, str]) -> str:
    sentences = [s.format(**words) for s in v.RESPONSE_SENTENCES]
    target = rng.randint(*RESPONSE_CHARS)
    parts: list[str] = []
    length = 0
    while length < target:
        sentence = rng.choice(sentences)
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)[: RESPONSE_CHARS[1]]


def make_case(seed: int, index: int) -> Case:
    rng = _rng(seed, "case", index)
    specialty = _specialty(index)
    task = rng.choice(v.TASKS)
    user_role = rng.choice(list(v.USER_ROLES))
    words = _words(seed, index)
    return Case(
        case_id=case_id(index),
        specialty=specialty,
        task=task,
        difficulty=rng.choices(v.DIFFICULTIES, weights=[3, 5, 2])[0],
        care_stage=rng.choice(v.CARE_STAGES),
        user_role=user_role,
        title=f"{words['dx']}：{task}",
        clinical_context=_clinical_context(rng, words),
        user_request=_user_request(rng, task, user_role),
        reference_answer=_answer(rng, words),
        criteria=_criteria(rng, words),
    )


def cases(seed: int, start: int, count: int) -> Iterator[Case]:
    for index in range(start, start + count):
        yield make_case(seed, index)


def clinconsensus_record(case: Case) -> dict:
    return {
        "case_id": case.case_id,
        "difficulty": case.difficulty,
        "task": case.task,
        "task_labels": [case.task],
        "subject": case.specialty,
        "subject_labels": [case.specialty],
        "user_role": case.user_role,
        "clinical_context": case.clinical_context,
        "user_request": case.user_request,
        "rubrics": [
            {"criterion_id": f"c{n:02d}", "criterion": text}
            for n, text in enumerate(case.criteria, start=1)
        ],
    }


def native_record(case: Case) -> dict:
    return {
        "id": case.case_id,
        "title": case.title,
        "messages": [
            {"role": "user", "content": f"{case.clinical_context}\n\n{case.user_request}"}
        ],
        "reference_answer": case.reference_answer,
        "facets": {
            "specialty": [case.specialty],
            "task": [case.task],
            "difficulty": [case.difficulty],
            "care_stage": [case.care_stage],
            "audience": [case.audience],
        },
        "criteria": [
            {"id": f"c{n:02d}", "text": text, "points": 1, "tags": [AXES[n % len(AXES)]]}
            for n, text in enumerate(case.criteria, start=1)
        ],
    }


def response_records(seed: int, index: int, models: list[str] = v.MODELS) -> Iterator[dict]:
    words = _words(seed, index)
    for model in models:
        rng = _rng(seed, "response", index, model)
        yield {"case": case_id(index), "model": model, "sample": 0, "text": _answer(rng, words)}


def label_records(seed: int, index: int, models: list[str] = v.MODELS) -> Iterator[dict]:
    """The labels of case `index` in the label import format: both JUDGES on every response x
    criterion; the three PHYSICIANS on HUMAN_SHARE of them. Each rater is right (agrees with a
    hidden truth) at its own rate, so judges and physicians disagree as real ones do."""
    rng = _rng(seed, "labels", index)
    for model in models:
        for n in range(1, CRITERIA_PER_CASE + 1):
            truth = rng.random() < 0.6
            cell = {"case": case_id(index), "model": model, "sample": 0, "criterion": f"c{n:02d}"}
            for (judge, version), accuracy in zip(JUDGES, (0.9, 0.85), strict=True):
                met = truth if rng.random() < accuracy else not truth
                yield {**cell, "rater": judge, "version": version, "met": met} | JUDGED
            if rng.random() < HUMAN_SHARE:
                for physician in PHYSICIANS:
                    met = truth if rng.random() < 0.92 else not truth
                    yield {**cell, "rater": physician, "rater_kind": "human", "met": met}


def _write_jsonl(path: Path, records: Iterator[dict]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
            count += 1
    return count


def write_cases(path: Path, *, fmt: str, seed: int, start: int, count: int) -> int:
    to_record = {"clinconsensus": clinconsensus_record, "native": native_record}[fmt]
    return _write_jsonl(path, (to_record(c) for c in cases(seed, start, count)))


def write_responses(path: Path, *, seed: int, start: int, count: int) -> int:
    records = (r for i in range(start, start + count) for r in response_records(seed, i))
    return _write_jsonl(path, records)


def write_labels(path: Path, *, seed: int, start: int, count: int) -> int:
    records = (r for i in range(start, start + count) for r in label_records(seed, i))
    return _write_jsonl(path, records)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="1 = 2,500 cases (ClinConsensus)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    args = parser.parse_args(argv)
    count = CASES_PER_SCALE * args.scale
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = f"{args.scale}x"
    for fmt in ("clinconsensus", "native"):
        path = args.out / f"cases_{fmt}_{suffix}.jsonl"
        write_cases(path, fmt=fmt, seed=args.seed, start=0, count=count)
        print(f"{path}: {count} cases")
    path = args.out / f"responses_{suffix}.jsonl"
    written = write_responses(path, seed=args.seed, start=0, count=count)
    print(f"{path}: {written} responses")


if __name__ == "__main__":
    main()
