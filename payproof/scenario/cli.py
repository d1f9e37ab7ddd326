"""``payproof generate`` (owned by the scenario package)."""

from __future__ import annotations

from pathlib import Path

import typer

from payproof.errors import EXIT_USAGE, PayproofError
from payproof.scenario.config import ScenarioConfig


class SettingsError(PayproofError):
    """Options that cannot make a valid programme (exit code 2, like other usage errors)."""

    exit_code = EXIT_USAGE


_D = ScenarioConfig()


def _settings_error(exc: ValueError) -> SettingsError:
    return SettingsError(
        f"Cannot generate this scenario: {exc}",
        where="payproof generate options",
        fix="change the option named above; see payproof generate --help",
    )


def generate_into(
    out: Path, config: ScenarioConfig, *, overwrite: bool = False, locale: str | None = None
):
    """Generate a programme into ``out`` through the run lifecycle (staged, then swapped in).

    ``out`` must be new, empty, or hold only an earlier ``payproof generate``
    programme (replaced only with ``overwrite``): its files are some programme's
    input, so a folder with anything else in it — real exports above all — is
    refused before anything is written.
    """
    from payproof.lifecycle import Run
    from payproof.scenario.generate import generate_scenario, validate

    try:
        validate(config)  # before the folder is created or locked
    except ValueError as exc:
        raise _settings_error(exc) from exc
    with Run(out, "generate", exclusive=True, overwrite=overwrite) as run:
        try:  # some settings can only be judged against the drawn programme
            summary = generate_scenario(run.staging, config)
        except ValueError as exc:
            raise _settings_error(exc) from exc
        if locale == "ru":  # re-written in the staging folder, so it swaps in whole
            from payproof.scenario.locale import export_ru

            export_ru(run.staging)
        run.commit()
    summary.out_dir = str(out)
    return summary


def generate(
    out: Path = typer.Argument(..., help="Folder to write the scenario into (created if missing)."),
    families: int = typer.Option(_D.families, "--families", help="Registered families."),
    year: int = typer.Option(_D.year, "--year", help="Calendar year of the programme (2020-2026)."),
    months: int = typer.Option(_D.months, "--months", help="Months from January (1-12)."),
    seed: int = typer.Option(_D.seed, "--seed", help="Random seed: same seed, same files."),
    fmt: str = typer.Option(_D.format, "--format", help="csv, parquet or both."),
    with_entitlements: bool = typer.Option(
        False, "--with-entitlements", help="Also write entitlements (normally computed by rules)."
    ),
    bad_rows: int = typer.Option(0, "--bad-rows", help="Append this many malformed CSV rows."),
    skimmer_share: float = typer.Option(
        _D.skimmer_share, "--skimmer-share", help="Share of clerks who skim."
    ),
    skim_rate: float = typer.Option(
        _D.skim_rate, "--skim-rate", help="Share of each payment a skimming clerk keeps."
    ),
    diverter_share: float = typer.Option(
        _D.diverter_share, "--diverter-share", help="Share of clerks who divert payments."
    ),
    divert_rate: float = typer.Option(
        _D.divert_rate, "--divert-rate", help="Share of a diverting clerk's payments diverted."
    ),
    ghost_maker_share: float = typer.Option(
        _D.ghost_maker_share, "--ghost-maker-share", help="Share of clerks paying ghost families."
    ),
    ghost_rate: float = typer.Option(
        _D.ghost_rate, "--ghost-rate", help="Ghost families per registered family."
    ),
    never_paid_rate: float = typer.Option(
        _D.never_paid_rate, "--never-paid-rate", help="Average share of families never paid."
    ),
    duplicate_mother_rate: float = typer.Option(
        _D.duplicate_mother_rate, "--duplicate-mother-rate", help="Mothers registered twice."
    ),
    name_variants: float = typer.Option(
        0.0, "--name-variants",
        help="Share of duplicate mothers written instead with Latin look-alike letters, in a "
        "transliteration system (ICAO, BGN/PCGN, German, French, scientific, Kazakh Latin "
        "2017/2018/2021) or under a married surname (docs/scenario.md).",
    ),
    hard_negatives: float = typer.Option(
        0.0, "--hard-negatives",
        help="Pairs of look-alike different mothers (sisters, namesakes) per family, and twins "
        "with consecutive IINs: truth/hard_negatives.csv lists them as must-not-merge.",
    ),
    evidence_coverage: float = typer.Option(
        _D.evidence_coverage, "--evidence-coverage", help="Share of lines with receipt evidence."
    ),
    survey_misreport_rate: float = typer.Option(
        _D.survey_misreport_rate,
        "--survey-misreport-rate",
        help="Share of survey answers that round the amount down (honest noise).",
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace a programme an earlier `payproof generate` wrote into OUT (never "
        "other files: a folder holding anything else is refused).",
    ),
    locale: str = typer.Option(
        None,
        "--locale",
        help="ru: write the tables as a Russian-locale office exports them (Windows-1251, "
        "';', decimal commas, DD.MM.YYYY, Russian headers and file names); read them with "
        "`payproof inspect` and --mapping (docs/importing.md).",
    ),
    collusive_offices: int = typer.Option(
        0, "--collusive-offices", help="Offices in which every clerk skims (harder case)."
    ),
    collusive_skim_rate: float = typer.Option(
        _D.collusive_skim_rate, "--collusive-skim-rate", help="Share a collusive office keeps."
    ),
    subtle_skimmer_share: float = typer.Option(
        0.0, "--subtle-skimmer-share", help="Share of clerks who skim from some families only."
    ),
    subtle_family_share: float = typer.Option(
        _D.subtle_family_share, "--subtle-family-share",
        help="Share of a subtle skimmer's families it skims.",
    ),
    subtle_skim_rate: float = typer.Option(
        _D.subtle_skim_rate, "--subtle-skim-rate", help="Share a subtle skimmer keeps."
    ),
    intermittent_share: float = typer.Option(
        0.0, "--intermittent-share", help="Share of clerks who divert for a few months only."
    ),
    intermittent_months: int = typer.Option(
        _D.intermittent_months, "--intermittent-months",
        help="Consecutive months an intermittent diverter diverts.",
    ),
    intermittent_rate: float = typer.Option(
        _D.intermittent_rate, "--intermittent-rate",
        help="Share of its payments diverted in those months.",
    ),
    receipt_noise_rate: float = typer.Option(
        0.0, "--receipt-noise-rate",
        help="Share of bank statements and confirmations that honestly report a little less.",
    ),
    receipt_noise_max: float = typer.Option(
        _D.receipt_noise_max, "--receipt-noise-max",
        help="At most this share of the amount missing from a noisy receipt.",
    ),
    rejecter_share: float = typer.Option(
        _D.rejecter_share, "--rejecter-share",
        help="Share of clerks who reject eligible mothers' applications (0: none).",
    ),
    delayer_share: float = typer.Option(
        _D.delayer_share, "--delayer-share",
        help="Share of clerks who sit on applications past the legal term (0: none).",
    ),
) -> None:
    """Write a synthetic programme with injected fraud and its ground truth.

    OUT must be new or empty, or hold an earlier generated programme (with
    --overwrite): a folder holding other files, such as real exports, is refused
    (exit 2) and left untouched.
    """
    config = ScenarioConfig(
        families=families,
        year=year,
        months=months,
        seed=seed,
        format=fmt,  # type: ignore[arg-type]
        with_entitlements=with_entitlements,
        bad_rows=bad_rows,
        skimmer_share=skimmer_share,
        skim_rate=skim_rate,
        diverter_share=diverter_share,
        divert_rate=divert_rate,
        ghost_maker_share=ghost_maker_share,
        ghost_rate=ghost_rate,
        never_paid_rate=never_paid_rate,
        duplicate_mother_rate=duplicate_mother_rate,
        name_variant_share=name_variants,
        hard_negative_rate=hard_negatives,
        evidence_coverage=evidence_coverage,
        survey_misreport_rate=survey_misreport_rate,
        collusive_offices=collusive_offices,
        collusive_skim_rate=collusive_skim_rate,
        subtle_skimmer_share=subtle_skimmer_share,
        subtle_family_share=subtle_family_share,
        subtle_skim_rate=subtle_skim_rate,
        intermittent_share=intermittent_share,
        intermittent_months=intermittent_months,
        intermittent_rate=intermittent_rate,
        receipt_noise_rate=receipt_noise_rate,
        receipt_noise_max=receipt_noise_max,
        rejecter_share=rejecter_share,
        delayer_share=delayer_share,
    )
    if locale not in (None, "ru") or (locale and (fmt != "csv" or bad_rows)):
        raise SettingsError(
            f"Cannot write --locale {locale} with --format {fmt}"
            + (" and --bad-rows" if bad_rows else "") + ".",
            where="payproof generate options",
            fix="--locale takes ru, and only with --format csv (an office exports CSV) and "
            "without --bad-rows.",
        )
    summary = generate_into(out, config, overwrite=overwrite, locale=locale)
    rows, truth = summary.rows, summary.truth
    typer.echo(
        f"Wrote {rows['families']:,} families, {rows['children']:,} children, "
        f"{rows['disbursements']:,} payments, {rows['receipts']:,} receipts and "
        f"{rows['grievances']:,} complaints to {out} in {summary.seconds:.1f} s."
    )
    typer.echo(
        f"Injected: {truth['never_paid_families']:,} families never paid, "
        f"{truth['skimmers']} skimming clerks, {truth['diverters']} diverting, "
        f"{truth['ghost_makers']} paying {truth['ghost_families']} ghost families, "
        f"{truth['duplicate_mothers']} mothers registered twice. Ground truth: {out / 'truth'}"
    )
    if truth["hard_negative_pairs"]:
        typer.echo(f"Hard negatives: {truth['hard_negative_pairs']:,} look-alike pairs that "
                   "must not be merged (truth/hard_negatives.csv).")  # fmt: skip
    if truth["collusive_offices"] or truth["subtle_skimmers"] or truth["intermittent_diverters"]:
        typer.echo(
            f"Harder cases: {truth['collusive_offices']} collusive offices "
            f"({truth['colluders']} clerks), {truth['subtle_skimmers']} subtle skimmers, "
            f"{truth['intermittent_diverters']} intermittent diverters."
        )
