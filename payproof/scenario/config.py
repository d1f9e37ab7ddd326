"""Scenario parameters and the summary a run returns.

Every rate is a share (0..1). Defaults give a realistic programme for a demo of
20,000-30,000 families: a few percent of clerks skim or divert, a few offices
leave many mothers unpaid, and complaints reach only some of the victims.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Format = Literal["csv", "parquet", "both"]


@dataclass(frozen=True)
class ScenarioConfig:
    """What to generate. Everything is deterministic from ``seed``."""

    families: int = 20_000
    year: int = 2022
    months: int = 12
    seed: int = 20220401
    format: Format = "csv"
    with_entitlements: bool = False
    bad_rows: int = 0
    # clerks per office (inclusive range)
    clerks_min: int = 5
    clerks_max: int = 15
    # never paid: share of entitled families an office leaves unpaid (office-level, varies)
    never_paid_rate: float = 0.05
    never_paid_partial: float = 0.4  # of those, share unpaid only from some month on
    # skimming clerks keep a fixed share of every payment they handle
    skimmer_share: float = 0.04
    skim_rate: float = 0.30
    # diverting clerks: a share of their payments never reaches the family
    diverter_share: float = 0.02
    divert_rate: float = 0.35
    # harder cases, all off by default (docs/scenario.md): offices whose every clerk keeps
    # collusive_skim_rate; subtle skimmers keeping subtle_skim_rate from subtle_family_share
    # of their families; intermittent diverters diverting intermittent_rate of their payments
    # for intermittent_months consecutive months; honest receipt noise: that share of bank
    # statements and confirmations (varying by office) report a little less (up to
    # receipt_noise_max of the amount)
    collusive_offices: int = 0
    collusive_skim_rate: float = 0.30
    subtle_skimmer_share: float = 0.0
    subtle_family_share: float = 0.15
    subtle_skim_rate: float = 0.10
    intermittent_share: float = 0.0
    intermittent_months: int = 3
    intermittent_rate: float = 0.35
    receipt_noise_rate: float = 0.0
    receipt_noise_max: float = 0.03
    # ghost families paid by complicit clerks into accounts those clerks control
    ghost_maker_share: float = 0.01
    ghost_rate: float = 0.004  # ghost families per registered family
    # the same mother registered twice (name variant / ID typo), both records paid
    duplicate_mother_rate: float = 0.003
    # of those, the share written in another way instead (fraud.NAME_VARIANT_KINDS: Latin
    # look-alike letters, a transliteration system, a married surname); 0 keeps the default mix
    name_variant_share: float = 0.0
    # hard negatives: pairs of different mothers that look alike, per family (sisters: same
    # surname, district and phone, close birth dates; namesakes: same full name, another birth
    # date and IIN), and twins given consecutive IIN serials; truth/hard_negatives.csv
    hard_negative_rate: float = 0.0
    # registry red flags injected per kind (child in two families, siblings < 9 months apart,
    # implausible mother's age, child registered after death), and one office's burst of
    # registrations in a single week (truth/red_flags.csv); 0 turns them off
    red_flag_cases: int = 3
    burst_size: int = 25
    # honest families sharing a phone or a bank account (relatives): noise
    shared_phone_rate: float = 0.01
    shared_account_rate: float = 0.002
    # receipt evidence covers this share of payment lines overall
    evidence_coverage: float = 0.85
    bank_channel_share: float = 0.70
    cash_channel_share: float = 0.15  # the rest is post
    # honest noise
    late_payment_rate: float = 0.03
    survey_misreport_rate: float = 0.002
    # grievances: share of victims who complain, and noise complaints from others
    complaint_rate_unpaid: float = 0.30
    complaint_rate_skimmed: float = 0.15
    complaint_rate_diverted: float = 0.25
    bribe_share: float = 0.5  # of skimming complaints, share naming a bribe demand
    complaint_rate_noise: float = 0.003
    # the population register and applications (scenario/population.py): clerks who reject
    # or sit on eligible mothers' applications, and eligible mothers who never applied
    population: bool = True
    rejecter_share: float = 0.03
    delayer_share: float = 0.03
    never_applied_rate: float = 0.02

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ScenarioSummary:
    """What was written: folder, row counts per table, money totals (tenge) and truth counts."""

    out_dir: str
    config: dict
    rows: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    truth: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)
