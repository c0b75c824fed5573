import pytest

from grading.id_chunks import id_chunks
from grading.models import Label
from tests.factories import LabelFactory


@pytest.mark.django_db
def test_each_chunk_reads_the_labels_of_its_responses_only():
    responses = [LabelFactory().response_id for _ in range(5)]
    wanted = [responses[4], responses[0], responses[2], responses[0]]

    chunks = list(id_chunks(wanted, "response_id", size=2))

    assert [ids for ids, _q in chunks] == [[responses[0], responses[2]], [responses[4]]]
    assert [
        sorted(Label.objects.filter(q).values_list("response_id", flat=True)) for _ids, q in chunks
    ] == [[responses[0], responses[2]], [responses[4]]]


def test_none_matches_nothing_and_is_left_out():
    """A null column (a case without a current version) is no id to look for."""
    assert [ids for ids, _q in id_chunks([3, None, 1], "case_version_id")] == [[1, 3]]
    assert list(id_chunks([None], "case_version_id")) == []
