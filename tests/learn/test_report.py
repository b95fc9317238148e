"""The Markdown tables of the learned detector's leave-one-out results (huiyan.learn.report)."""

from __future__ import annotations

from huiyan.learn.report import BEGIN, END, results_tables, write_learned_md


def _summary(auc: float) -> dict:
    return {
        "auc": auc, "eer": 0.2, "tpr_at_1pct_fpr": 0.1, "fpr_at_threshold": 0.05, "tpr_at_threshold": 0.6,
        "n_real": 3, "n_generated": 5,
        "per_group": {
            "small GAN": {"n": 1, "auc_vs_all_real": 0.25, "tpr_at_threshold": 0.0},
            "big diffusion": {"n": 4, "auc_vs_all_real": auc, "tpr_at_threshold": 0.75},
            "camera repo": {"n": 3, "fpr_at_threshold": 1 / 3, "auc_all_generated_vs_this": 0.9},
        },
        "per_format": {"PNG": {"n_generated": 5, "n_real": 0, "auc_within_format": float("nan")}},
    }


RESULTS = {"data_version": "abc", "summary": {"delivered": _summary(0.8), "laundered": _summary(0.7)},
           "folds": [{"fold": 0, "held_out": ["small GAN"], "n_test": 1, "seconds": 3, "final_loss": 0.5}]}
META = {"onnx": "m.onnx", "onnx_bytes": 10, "seconds": {"final_fit": 1, "pool": 2, "total": 3}, "torch": "2"}


def test_group_tables_largest_group_first_and_real_sources_apart():
    md = results_tables(RESULTS, META)
    lines = md.splitlines()
    gen = lines.index("### Per held-out generator family (AUC against all out-of-sample real images; TPR at 0.5)")
    assert lines[gen + 2] == "| generator | n | AUC delivered | AUC laundered | TPR delivered | TPR laundered |"
    assert lines[gen + 4] == "| big diffusion | 4 | 0.800 | 0.700 | 0.75 | 0.75 |"  # n=4 before n=1
    assert lines[gen + 5] == "| small GAN | 1 | 0.250 | 0.250 | 0.00 | 0.00 |"
    assert lines[gen + 6] == ""  # the real source is not listed among generators
    real = next(i for i, x in enumerate(lines) if x.startswith("### Per held-out real source"))
    assert lines[real + 4] == "| camera repo | 3 | 0.33 | 0.33 | 0.900 | 0.900 |"
    assert "| PNG | 5 | 0 | – | – |" in lines  # NaN is printed as a dash, not 'nan'


def test_hand_written_text_around_the_markers_is_kept(tmp_path):
    p = tmp_path / "LEARNED.md"
    p.write_text(f"# title\nintro\n{BEGIN}\nold tables\n{END}\ndiscussion\n")
    write_learned_md(RESULTS, META, p)
    text = p.read_text()
    assert text.startswith("# title\nintro\n") and text.endswith(f"{END}\ndiscussion\n")
    assert "old tables" not in text and "| big diffusion | 4 |" in text
