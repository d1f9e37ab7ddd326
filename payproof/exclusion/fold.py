"""Application flags in the audit's result tables, so staff.csv and offices.csv say once
who is flagged.

The loss attribution writes ``staff_results`` (clerks who paid) and ``office_results``.
After it, this adds every clerk who decided applications but paid nothing (empty payment
columns), and folds the application flags into ``flagged``, ``flagged_by``,
``in_flagged_office`` and ``flag_reason`` (offices: ``flagged``, ``office_wide``,
``flagged_by``), then recounts the staff and flagged staff of offices and regions. It runs
only in the exclusion step, so programmes without applications keep their outputs
exactly; the attribution's tests never see these clerks.
"""

from __future__ import annotations

from payproof.engine.duckdb_engine import DuckDBEngine
from payproof.reconcile.attribution import COMPLAINTS_SQL


def _reason_sql(term: int) -> str:
    """Plain words for a clerk flagged on applications or working in an office flagged as
    a whole on them (counts only)."""
    return f"""nullif(concat_ws('; ',
      CASE WHEN a.application_flagged THEN 'applications (' || a.application_flagged_by
        || '): ' || a.rejected_eligible || ' of ' || a.eligible_applications
        || ' applications from eligible mothers rejected, ' || a.late || ' of '
        || a.applications || ' decided or pending past the {int(term)}-day term, '
        || a.overturned || ' rejections overturned' END,
      CASE WHEN a.application_in_flagged_office THEN 'works in office ' || a.office_id
        || ', flagged as a whole on applications; ' || CASE WHEN a.application_flagged
        THEN 'also unusual individually'
        ELSE 'not singled out among its colleagues, so not individually flagged' END END
    ), '')"""


def fold_application_flags(engine: DuckDBEngine, term: int) -> None:
    """Add application-only clerks to ``staff_results`` and fold application flags into
    the staff, office and region result tables (see the module docstring)."""
    engine.execute(f"""INSERT INTO staff_results BY NAME
      SELECT a.staff_id, a.office_id, o.region, o.district,
        coalesce(g.complaints, 0) AS complaints,
        coalesce(g.bribe_complaints, 0) AS bribe_complaints,
        false AS flagged, false AS in_flagged_office
      FROM application_staff a LEFT JOIN offices o ON o.office_id = a.office_id
      LEFT JOIN ({COMPLAINTS_SQL}) g ON g.staff_id = a.staff_id
      WHERE NOT EXISTS (SELECT 1 FROM staff_results r WHERE r.staff_id = a.staff_id)""")
    engine.execute(f"""UPDATE staff_results AS s SET
        flagged = s.flagged OR a.application_flagged,
        in_flagged_office = s.in_flagged_office OR a.application_in_flagged_office,
        flagged_by = nullif(concat_ws(';', s.flagged_by, a.application_flagged_by), ''),
        flag_reason = nullif(concat_ws('; ', s.flag_reason, {_reason_sql(term)}), '')
      FROM application_staff a
      WHERE a.staff_id = s.staff_id
        AND (a.application_flagged OR a.application_in_flagged_office)""")
    engine.execute("""UPDATE office_results AS o SET
        flagged = true,
        office_wide = o.office_wide OR a.application_office_wide,
        flagged_by = nullif(concat_ws(';', o.flagged_by, a.application_flagged_by), '')
      FROM application_offices a
      WHERE a.office_id = o.office_id AND a.application_flagged""")
    engine.execute("""UPDATE office_results AS o SET staff = p.staff,
        flagged_staff = p.flagged_staff, bribe_complaints = p.bribe_complaints
      FROM (SELECT office_id, count(*) AS staff,
              count(CASE WHEN flagged THEN 1 END) AS flagged_staff,
              coalesce(sum(bribe_complaints), 0) AS bribe_complaints
            FROM staff_results GROUP BY office_id) p
      WHERE p.office_id = o.office_id""")
    engine.execute("""UPDATE region_results AS r SET staff = x.staff,
        flagged_staff = x.flagged_staff, flagged_offices = x.flagged_offices
      FROM (SELECT coalesce(region, '') AS region, sum(staff) AS staff,
              sum(flagged_staff) AS flagged_staff,
              count(CASE WHEN flagged THEN 1 END) AS flagged_offices
            FROM office_results GROUP BY 1) x
      WHERE x.region = r.region""")
