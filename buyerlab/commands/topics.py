"""``buyerlab topics STUDY`` and ``buyerlab suggest-codes STUDY``: themes and the codes the codebook lacks."""

from __future__ import annotations

import argparse


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="study folder (run `buyerlab ingest` first)")
    p.add_argument("--output", help="output folder (default: STUDY/output)")
    p.add_argument("--embedding", help="'tfidf' (default), 'all-MiniLM-L6-v2', or a local sentence-transformers "
                                       "model folder; overrides study.toml")
    p.add_argument("--seed", type=int, help="random seed (default 42; same seed, same topics)")
    p.add_argument("--reducer", choices=["pca", "umap"], help="dimension reduction before clustering (default pca)")
    p.add_argument("--cluster", choices=["kmeans", "hdbscan"], help="clustering (default kmeans)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``topics`` and ``suggest-codes`` subcommands."""
    p = sub.add_parser("topics", help="find themes in respondent segments and attach them to the codebook "
                                      "(writes output/topics.parquet and friends)")
    _add_common(p)
    p.set_defaults(func=topics_command)
    p = sub.add_parser("suggest-codes", help="find themes the codebook does not cover and write them as "
                                             "suggested codes (output/suggested_codes.yaml)")
    add_suggest_arguments(p)
    p.set_defaults(func=suggest_codes_command)


def add_suggest_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of `suggest-codes` (also `codebook suggest`)."""
    _add_common(p)
    p.add_argument("--out", help="where to write the YAML (default: OUTPUT/suggested_codes.yaml)")


def _run(args: argparse.Namespace):
    from buyerlab.study import Study
    from buyerlab.themes import theme_study

    study = Study(args.study, output_dir=args.output)
    result = theme_study(study, embedding=args.embedding, seed=args.seed, reducer=args.reducer,
                         cluster=args.cluster)
    return study, result


def _print_topics(result) -> None:
    info = result.topic_info
    mapped = info[info["mapped_code"].notna()]
    print(f"{len(result.texts)} segments -> {int((info['topic'] != -1).sum())} topic(s), "
          f"{len(mapped)} attached to a code ({result.settings.get('embedding', '').split(':')[0]})")
    for row in info.itertuples(index=False):
        where = f" -> {row.mapped_family}/{row.mapped_code}" if isinstance(row.mapped_code, str) else ""
        print(f"  {row.topic:>3}  {row.size:>5}  {row.label}{where}")


def topics_command(args: argparse.Namespace) -> int:
    """Run themes on a study and print the topic table."""
    study, result = _run(args)
    _print_topics(result)
    print(f"wrote {study.output_dir / 'topics.parquet'}, segment_topics.parquet, topic_codes.parquet, "
          f"topics_per_class.parquet, topic_model/")
    return 0


def suggest_codes_command(args: argparse.Namespace) -> int:
    """Run themes on a study and write the uncovered topics as a codebook extension."""
    from pathlib import Path

    from buyerlab.codebook import load_codebook
    from buyerlab.themes import suggest_codes, suggestions_yaml

    study, result = _run(args)
    codebook = load_codebook(study.config.codebook)
    suggestions = suggest_codes(result, codebook)
    target = Path(args.out) if args.out else study.output("suggested_codes.yaml")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(suggestions_yaml(suggestions, codebook), encoding="utf-8")
    print(f"{len(suggestions)} topic(s) not covered by the codebook")
    for s in suggestions:
        print(f"  {s['id']:<40} {s['family']:<12} {s['size']:>5} segments  {s['label']}")
    print(f"wrote {target}")
    return 0
