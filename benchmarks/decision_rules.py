"""Decision rules on cached scores: the scratch study behind section 2 of accuracy_research.md.

``dump VARIANT`` fits a ``forward.py`` variant once per fold of every dev protocol (cold, cv
shufflings 0-2, forward) and pickles, per fit, the training articles' inner out-of-fold scores and
the held-out articles' scores, term-prior counts and (with an abstention model) P(empty).
``rules VARIANT [RULE...]`` then evaluates decision rules on those scores without refitting: each
rule's parameters are chosen on the inner out-of-fold scores of the training articles only.
Dev only; never recent. The stacked P(empty) here is fitted in-sample on the inner out-of-fold
values (the product version, ``TopicClassifier(abstain_model="stack")``, is out of fold).

Run::

    taskset -c 0 python benchmarks/decision_rules.py dump abstain-veto --out /tmp/rules
    python benchmarks/decision_rules.py rules abstain-veto --out /tmp/rules
"""

# ruff: noqa: E701, E702, E741, B023
from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from pathlib import Path

import forward as F
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold
from sklearn.preprocessing import MultiLabelBinarizer

from classifier.model.estimator import best_f1_threshold


def f1(P, G):
    tp = (P & G).sum()
    d = P.sum() + G.sum()
    return 2 * tp / d if d else 0


def macro(P, G):
    fs = []
    for j in range(G.shape[1]):
        if G[:, j].sum() == 0:
            continue
        fs.append(f1(P[:, j], G[:, j]))
    return np.mean(fs)


def emptypr(P, G):
    pe = ~P.any(1)
    ge = ~G.any(1)
    return (ge[pe].mean() if pe.any() else 0, pe[ge].mean())


def per_topic_thr(S, Y):
    return np.array([best_f1_threshold(S[:, j], Y[:, j]) for j in range(Y.shape[1])])


def micro_thr(S, Y, init=None, rounds=3):
    """coordinate ascent on thresholds for micro-F1"""
    t = per_topic_thr(S, Y) if init is None else init.copy()
    G = Y.astype(bool)
    for _ in range(rounds):
        for j in range(Y.shape[1]):
            vals = np.unique(S[:, j])
            cands = np.r_[(vals[:-1] + vals[1:]) / 2, vals[0] / 2, 1.01]
            best = (-1, t[j])
            for c in cands:
                tt = t.copy()
                tt[j] = c
                v = f1(S >= tt, G)
                if v > best[0] + 1e-12 or (abs(v - best[0]) < 1e-12 and abs(c - t[j]) < abs(best[1] - t[j])):
                    best = (v, c)
            t[j] = best[1]
    return t


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def rank_rule(S, t, t2):
    P = S >= t
    top = S.argmax(1)
    sec = S >= t2  # secondary topics need global cut t2 too
    mask = np.zeros_like(P)
    mask[np.arange(len(S)), top] = True
    return P & (mask | sec)


def choose_t2(S, Y, t):
    G = Y.astype(bool)
    best = (-1, 0)
    for c in np.r_[np.linspace(0, 1, 101)]:
        v = f1(rank_rule(S, t, c), G)
        if v > best[0] + 1e-12:
            best = (v, c)
    return best[1]


def rel_rule(S, t, r):
    return (S >= t) & (S >= r * S.max(1, keepdims=True))


def choose_r(S, Y, t):
    G = Y.astype(bool)
    best = (-1, 0)
    for c in np.linspace(0, 1, 51):
        v = f1(rel_rule(S, t, c), G)
        if v > best[0] + 1e-12:
            best = (v, c)
    return best[1]


def meta(S, terms, groups, emp):
    srt = np.sort(S, 1)[:, ::-1]
    ni = groups.index("none")
    tcols = [i for i, g in enumerate(groups) if g != "none"]
    cols = [logit(srt[:, 0]), logit(srt[:, 1]), terms[:, ni], terms[:, tcols].max(1), terms[:, tcols].sum(1)]
    if emp is not None and not np.isnan(emp).any():
        cols.append(logit(emp))
    return np.column_stack(cols)


def veto(P, pe, cut):
    P = P.copy()
    P[pe >= cut] = False
    return P


def choose_cut(P, pe, Y):
    G = Y.astype(bool)
    best = (-1, np.inf)
    vals = np.unique(pe)
    for c in sorted(np.r_[(vals[:-1] + vals[1:]) / 2, np.inf], reverse=True):
        v = f1(veto(P, pe, c), G)
        if v > best[0] + 1e-12:
            best = (v, c)
    return best[1]


def dump_fit(recipe, train_articles, test_articles, topics):
    fitted = recipe.fit(train_articles)
    pipe = fitted.pipeline
    clf = pipe[-1]
    n_real = len(train_articles)
    mlb = MultiLabelBinarizer(classes=topics)
    Xtr = pipe[:-1].transform([a.full_text for a in train_articles])
    Xte = pipe[:-1].transform([a.full_text for a in test_articles])
    terms = pipe[:-1].named_steps["features"].transformer_list[-1][1]
    tw = terms.weight
    ntg = len(terms.group_names_)
    d = dict(
        tr_oof=clf.oof_scores_[:n_real],
        tr_Y=mlb.fit_transform([a.topics or [] for a in train_articles]),
        tr_oof_empty=getattr(clf, "oof_empty_", np.full(n_real, np.nan))[:n_real],
        te_scores=clf.predict_proba(Xte),
        te_Y=mlb.fit_transform([a.topics or [] for a in test_articles]),
        te_empty=clf.empty_proba(Xte)
        if getattr(clf, "abstainer_", None) is not None
        else np.full(len(test_articles), np.nan),
        tr_terms=(Xtr[:, -ntg:].toarray() / tw),
        te_terms=(Xte[:, -ntg:].toarray() / tw),
        groups=terms.group_names_,
        thresholds=clf.thresholds_,
        prior_weight=fitted.prior_weight,
        te_ids=[a.id for a in test_articles],
    )
    return d


def dump(variant, out_dir, shuffles=(0, 1, 2)):
    data = F.load_data()
    make = F.variants()[variant]
    topics = data.taxonomy.ids
    out = {}
    last = max(F.date(a) for a in data.dev)
    out["cold"] = [dump_fit(make(data.taxonomy, F.unlabelled_until(data, last)), data.seeds, data.dev, topics)]
    for s in shuffles:
        fits = []
        for train, held in KFold(5, shuffle=True, random_state=s).split(np.arange(len(data.dev))):
            fits.append(
                dump_fit(
                    make(data.taxonomy, F.unlabelled_until(data, last)),
                    [data.dev[i] for i in train] + data.seeds,
                    [data.dev[i] for i in held],
                    topics,
                )
            )
        out[f"cv{s}"] = fits
    fits = []
    for train, test in F.forward_blocks(data.dev):
        l = max(F.date(data.dev[i]) for i in test)
        fits.append(
            dump_fit(
                make(data.taxonomy, F.unlabelled_until(data, l)),
                [data.dev[i] for i in train] + data.seeds,
                [data.dev[i] for i in test],
                topics,
            )
        )
    out["forward"] = fits
    pickle.dump(out, open(Path(out_dir) / f"{variant}.pkl", "wb"))


RULES = {}


def rule(f):
    RULES[f.__name__] = f
    return f


@rule
def base(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    return d["te_scores"] >= t, 1 - d["te_scores"].max(1)


@rule
def microthr(d):
    t = micro_thr(d["tr_oof"], d["tr_Y"])
    return d["te_scores"] >= t, 1 - d["te_scores"].max(1)


@rule
def rank2(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    t2 = choose_t2(d["tr_oof"], d["tr_Y"], t)
    return rank_rule(d["te_scores"], t, t2), 1 - d["te_scores"].max(1)


@rule
def relr(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    r = choose_r(d["tr_oof"], d["tr_Y"], t)
    return rel_rule(d["te_scores"], t, r), 1 - d["te_scores"].max(1)


@rule
def lr_empty_auc(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    return d["te_scores"] >= t, d["te_empty"]


def stack_pe(d, use_emp, C=1.0):
    trm = meta(d["tr_oof"], d["tr_terms"], list(d["groups"]), d["tr_oof_empty"] if use_emp else None)
    tem = meta(d["te_scores"], d["te_terms"], list(d["groups"]), d["te_empty"] if use_emp else None)
    ye = ~d["tr_Y"].any(1)
    mu, sd = trm.mean(0), trm.std(0) + 1e-9
    m = LogisticRegression(C=C).fit((trm - mu) / sd, ye)
    # in-sample stacker probs for training rows (few params, ok)
    return m.predict_proba((trm - mu) / sd)[:, 1], m.predict_proba((tem - mu) / sd)[:, 1]


@rule
def stack_auc(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    _, pe = stack_pe(d, False)
    return d["te_scores"] >= t, pe


@rule
def stack_veto(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    petr, pe = stack_pe(d, False)
    cut = choose_cut(d["tr_oof"] >= t, petr, d["tr_Y"])
    return veto(d["te_scores"] >= t, pe, cut), pe


@rule
def stack2_veto(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    petr, pe = stack_pe(d, True)
    cut = choose_cut(d["tr_oof"] >= t, petr, d["tr_Y"])
    return veto(d["te_scores"] >= t, pe, cut), pe


@rule
def rank2_stack_veto(d):
    t = per_topic_thr(d["tr_oof"], d["tr_Y"])
    t2 = choose_t2(d["tr_oof"], d["tr_Y"], t)
    petr, pe = stack_pe(d, False)
    cut = choose_cut(rank_rule(d["tr_oof"], t, t2), petr, d["tr_Y"])
    return veto(rank_rule(d["te_scores"], t, t2), pe, cut), pe


def evaluate(lab, rulef):
    res = {}
    for proto in ["cold", "cv", "forward"]:
        keys = [k for k in lab if k.startswith(proto)]
        ms = []
        for k in keys:
            Ps, Gs, Es = [], [], []
            for d in lab[k]:
                P, pe = rulef(d)
                Ps.append(P)
                Gs.append(d["te_Y"].astype(bool))
                Es.append(pe)
            P = np.vstack(Ps)
            G = np.vstack(Gs)
            E = np.concatenate(Es)
            ep, er = emptypr(P, G)
            auc = roc_auc_score(~G.any(1), E) if not np.isnan(E).any() else np.nan
            ms.append((f1(P, G), macro(P, G), ep, er, auc))
        res[proto] = np.mean(ms, 0)
    return res


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("dump", "rules"))
    parser.add_argument("variant")
    parser.add_argument("rules", nargs="*")
    parser.add_argument("--shuffles", type=int, default=3, help="dump: CV fold shufflings (default 3)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "decision_rules")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.command == "dump":
        dump(args.variant, args.out, tuple(range(args.shuffles)))
        return 0
    lab = pickle.load(open(args.out / f"{args.variant}.pkl", "rb"))
    for name in args.rules or list(RULES):
        r = evaluate(lab, RULES[name])
        print(f"{name:18s} " + "  ".join(f"{p}: " + "/".join(f"{x:.3f}" for x in r[p]) for p in r), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
