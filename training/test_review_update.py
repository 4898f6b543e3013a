"""The decision rules of training/review_update.py (stdlib only, no model needed):

  python training/test_review_update.py

* a per-label cut re-chosen on the blended score is written in graph units so that the engine's
  blended decision for that label moves exactly to the new cut, and no other label moves;
* the shrinkage toward the global threshold and its clamps;
* a reviewed folder is kept only when held-out validation is not worse on any headline number.
"""
from __future__ import annotations

import math
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import review_update as ru  # noqa: E402


def engine_score(graph_logit, lexical_logit, cut, model_threshold, w, bias=0.0):
    """What the engine computes for one label of a blended folder (model/manifest.rs, lexical.rs):
    the per-label cut folded into the graph's logit, then the logit blend."""
    shift = ru.logit(model_threshold) - ru.logit(cut)
    return ru.sigmoid(w * (graph_logit + shift) + (1 - w) * lexical_logit + bias)


class GraphCut(unittest.TestCase):
    def test_the_blended_decision_moves_exactly_to_the_new_cut(self):
        model_threshold, w, t_global = 0.6, 0.7, 0.475
        for old_cut in (0.6, 0.35, 0.8):  # no per-label cut yet, a low one, a high one
            for t_new in (0.3, 0.475, 0.55, 0.9):
                new_cut = ru.graph_cut(old_cut, t_global, t_new, w)
                for lex in (-3.0, 0.0, 2.5):
                    # the graph logit at which the old blended score is exactly t_new ...
                    g = (ru.logit(t_new) - (1 - w) * lex) / w - (ru.logit(model_threshold) - ru.logit(old_cut))
                    self.assertAlmostEqual(engine_score(g, lex, old_cut, model_threshold, w), t_new, places=9)
                    # ... now scores exactly the global threshold: the label's cut moved to t_new
                    self.assertAlmostEqual(engine_score(g, lex, new_cut, model_threshold, w), t_global, places=9)

    def test_an_unchanged_cut_stays(self):
        self.assertAlmostEqual(ru.graph_cut(0.42, 0.475, 0.475, 0.7), 0.42, places=12)

    def test_a_graph_only_folder_is_the_weight_one_case(self):
        # without a blend the cut is the label's threshold itself
        self.assertAlmostEqual(ru.graph_cut(0.6, 0.6, 0.45, 1.0), 0.45, places=12)


class Shrinkage(unittest.TestCase):
    def test_support_pulls_toward_the_label_and_the_clamps_hold(self):
        self.assertAlmostEqual(ru.shrunk_cut(0.3, 10, 0.5, 10, 0.2), 0.4)
        self.assertAlmostEqual(ru.shrunk_cut(0.3, 0, 0.5, 10, 0.2), 0.5)
        self.assertEqual(ru.shrunk_cut(0.05, 1000, 0.5, 10, 0.2), 0.2)
        self.assertEqual(ru.shrunk_cut(0.99, 1000, 0.5, 10, 0.2), 0.95)


class Guard(unittest.TestCase):
    base = {"micro_f1": 0.718, "macro_f1": 0.468, "neg_fp_rate": 0.140}

    def test_better_or_equal_everywhere_is_kept(self):
        self.assertTrue(ru.not_worse(self.base, dict(self.base)))
        self.assertTrue(ru.not_worse(self.base, {"micro_f1": 0.72, "macro_f1": 0.47, "neg_fp_rate": 0.13}))

    def test_any_headline_number_worse_is_refused(self):
        for key, worse in (("micro_f1", 0.70), ("macro_f1", 0.46), ("neg_fp_rate", 0.165)):
            self.assertFalse(ru.not_worse(self.base, dict(self.base, **{key: worse})), key)


if __name__ == "__main__":
    unittest.main()
