"""Districts of the Turkistan region and Shymkent city, with offices and clerks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from payproof.scenario.identity import zero_padded
from payproof.scenario.names import staff_names

TURKISTAN = "Turkistan region"
SHYMKENT = "Shymkent city"
# (region, district, share of the programme's large families; rough, rural-heavy)
DISTRICTS: tuple[tuple[str, str, float], ...] = (
    (TURKISTAN, "Sairam", 9),
    (TURKISTAN, "Saryagash", 9),
    (TURKISTAN, "Maktaaral", 8),
    (TURKISTAN, "Zhetysai", 7),
    (TURKISTAN, "Tolebi", 6),
    (TURKISTAN, "Kazygurt", 6),
    (TURKISTAN, "Ordabasy", 6),
    (TURKISTAN, "Turkistan city", 6),
    (TURKISTAN, "Keles", 5),
    (TURKISTAN, "Tulkibas", 3),
    (TURKISTAN, "Baidibek", 2),
    (TURKISTAN, "Otyrar", 2),
    (TURKISTAN, "Sozak", 2),
    (TURKISTAN, "Shardara", 2),
    (TURKISTAN, "Arys", 2),
    (TURKISTAN, "Kentau", 2),
    (TURKISTAN, "Sauran", 2),
    (SHYMKENT, "Abai (Shymkent)", 5),
    (SHYMKENT, "Al-Farabi (Shymkent)", 4),
    (SHYMKENT, "Enbekshi (Shymkent)", 5),
    (SHYMKENT, "Karatau (Shymkent)", 6),
    (SHYMKENT, "Turan (Shymkent)", 4),
)
FAMILIES_PER_EXTRA_OFFICE = 25_000
MAX_OFFICES_PER_DISTRICT = 8


@dataclass
class Geography:
    """Offices (regional departments first, then district offices) and their staff.

    ``office_*`` arrays cover district offices only (the ones that pay);
    ``clerk_*`` arrays cover clerks only (the staff who handle payments).
    """

    offices: pa.Table
    staff: pa.Table
    district_names: list[str]
    district_weights: np.ndarray
    office_district: np.ndarray  # district index of each paying office
    office_ids: pa.Array  # paying offices
    clerk_office: np.ndarray  # paying-office index of each clerk
    clerk_ids: pa.Array
    office_clerk_start: np.ndarray  # first clerk index of each office
    office_clerk_count: np.ndarray


def build_geography(families: int, clerks_min: int, clerks_max: int, rng) -> Geography:
    """Offices per district scale with its families; 5-15 clerks per office by default."""
    weights = np.array([w for _, _, w in DISTRICTS], dtype=np.float64)
    weights /= weights.sum()
    per_district = np.minimum(
        1 + (families * weights // FAMILIES_PER_EXTRA_OFFICE).astype(np.int64),
        MAX_OFFICES_PER_DISTRICT,
    )
    regions = sorted({r for r, _, _ in DISTRICTS})
    n_offices = len(regions) + int(per_district.sum())
    width = max(2, len(str(n_offices)))
    region_office = {r: f"O{i + 1:0{width}d}" for i, r in enumerate(regions)}
    rows: dict[str, list] = {k: [] for k in ("office_id", "name", "region", "district", "parent")}
    for r in regions:
        rows["office_id"].append(region_office[r])
        rows["name"].append(f"{r} department of employment and social programmes")
        rows["region"].append(r)
        rows["district"].append(r)  # a regional department covers the whole region
        rows["parent"].append(None)
    office_district: list[int] = []
    for d, (region, district, _) in enumerate(DISTRICTS):
        for k in range(int(per_district[d])):
            oid = f"O{len(rows['office_id']) + 1:0{width}d}"
            suffix = f" no. {k + 1}" if per_district[d] > 1 else ""
            rows["office_id"].append(oid)
            rows["name"].append(f"{district} social protection office{suffix}")
            rows["region"].append(region)
            rows["district"].append(district)
            rows["parent"].append(region_office[region])
            office_district.append(d)
    offices = pa.table(
        {
            "office_id": rows["office_id"],
            "name": rows["name"],
            "region": rows["region"],
            "district": rows["district"],
            "parent_office_id": rows["parent"],
        }
    )
    paying = np.arange(len(regions), n_offices)
    n_paying = len(paying)
    clerk_count = rng.integers(clerks_min, clerks_max + 1, size=n_paying)
    clerk_start = np.concatenate([[0], np.cumsum(clerk_count)[:-1]])
    n_clerks = int(clerk_count.sum())
    clerk_office = np.repeat(np.arange(n_paying), clerk_count)
    # staff: one head per paying office (does not pay) then the clerks
    n_staff = n_paying + n_clerks
    swidth = max(4, len(str(n_staff)))
    office_ids = offices.column("office_id").combine_chunks().take(pa.array(paying))
    clerk_ids = zero_padded(np.arange(1, n_clerks + 1), swidth, "S")
    head_ids = zero_padded(np.arange(n_clerks + 1, n_staff + 1), swidth, "S")
    staff = pa.table(
        {
            "staff_id": pa.concat_arrays([clerk_ids, head_ids]),
            "office_id": pa.concat_arrays([office_ids.take(pa.array(clerk_office)), office_ids]),
            "name": staff_names(n_staff, rng),
            "role": ["clerk"] * n_clerks + ["head of office"] * n_paying,
        }
    )
    return Geography(
        offices=offices,
        staff=staff,
        district_names=[d for _, d, _ in DISTRICTS],
        district_weights=weights,
        office_district=np.array(office_district, dtype=np.int64),
        office_ids=office_ids,
        clerk_office=clerk_office,
        clerk_ids=clerk_ids,
        office_clerk_start=clerk_start,
        office_clerk_count=clerk_count,
    )
