"""The NegEx/ConText evaluation maps our ConText output to the test set's labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InputError
from evaluation.commands import evaluate_negex_cmd
from evaluation.negex import evaluate_negex, format_negex_report, predict_labels


@pytest.fixture(scope="module")
def nlp(shared_nlp):
    return shared_nlp


@pytest.mark.parametrize(
    ("sentence", "target", "labels"),
    [
        ("Extremities reveal no peripheral cyanosis or EDEMA.", "EDEMA", ("Negated", "Recent", "Patient")),
        ("Constitutional - No fevers, CHILLS, or sweats.", "CHILLS", ("Negated", "Recent", "Patient")),
        ("History of HYPERTENSION.", "HYPERTENSION", ("Affirmed", "Historical", "Patient")),
        ("Her mother has BREAST CANCER.", "BREAST CANCER", ("Affirmed", "Recent", "Family member")),
        ("Return if you develop CHEST PAIN.", "CHEST PAIN", ("Affirmed", "Not particular", "Patient")),
        (
            "MRI showed no dilatation and positive for GALLSTONES.",
            "GALLSTONES",
            ("Affirmed", "Recent", "Patient"),
        ),
    ],
)
def test_predict_labels(nlp, sentence, target, labels):
    start = sentence.index(target)
    assert predict_labels(nlp, sentence, start, start + len(target)) == labels


def test_evaluate_negex_on_a_small_file(tmp_path: Path, nlp, capsys):
    tsv = tmp_path / "negex.tsv"
    tsv.write_text(
        "id\tcondition\tsentence\tnegation\ttemporality\texperiencer\n"
        "1\tedema\tNo EDEMA.\tNegated\tRecent\tPatient\n"
        "2\tcough\tHe reports COUGH.\tAffirmed\tRecent\tPatient\n"
        "3\tdiabetes\tFather has DIABETES.\tAffirmed\tRecent\tFamily member\n"
        "4\tmissing\tThe target is not here.\tAffirmed\tRecent\tPatient\n",
        encoding="utf-8",
    )
    report = evaluate_negex(tsv, nlp)
    assert (report.negation.correct, report.negation.total, report.skipped) == (3, 3, 1)
    assert report.experiencer.value == 1.0
    assert "negation accuracy" in format_negex_report(report)
    assert evaluate_negex_cmd(tsv)["negation"]["acc"] == 1.0
    assert "NegEx/ConText test set" in capsys.readouterr().out


def test_bad_header_is_reported(tmp_path: Path, nlp):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("id\tsentence\n1\tx\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected columns .*found"):
        evaluate_negex(tsv, nlp)
