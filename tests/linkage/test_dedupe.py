"""End-to-end dedupe with known answers: each injected duplicate found, nothing else."""

from datetime import date

from payproof.engine import DuckDBEngine
from payproof.linkage.dedupe import dedupe_children, dedupe_mothers
from payproof.linkage.explain import explain_pair


def _clusters(engine, res):
    rows = engine.rows(
        f"SELECT list({res.id_column} ORDER BY {res.id_column}) FROM {res.clusters_table} "
        "WHERE cluster_size > 1 GROUP BY cluster_id"
    )
    return {tuple(r[0]) for r in rows}


def test_every_injected_duplicate_and_nothing_else(deduped):
    engine, res, truth = deduped
    assert _clusters(engine, res) == truth
    assert res.counts["matched_pairs"] == len(truth)
    assert res.counts["surplus_records"] == len(truth)


def test_pairs_carry_evidence_per_comparison(deduped):
    engine, res, _ = deduped
    rows = dict(
        ((a, b), (iin, name, dob))
        for a, b, iin, name, dob in engine.rows(
            "SELECT family_id_l, family_id_r, iin, name, dob FROM mother_pairs WHERE is_match"
        )
    )
    assert rows[("D01", "F0000")][1] == "translit_equal"
    assert rows[("D03", "F0002")][0] == "near_serial"
    assert rows[("D04", "F0003")][0] == "one_edit_invalid"  # the swap broke the check digit
    assert rows[("D06", "F0005")][1] == "same_words"
    assert rows[("D07", "F0006")][0] == "missing"
    assert "day_month_swapped" in {v[2] for v in rows.values()}


def test_model_parameters_are_recorded(deduped):
    _, res, _ = deduped
    names = [c["output_column_name"] for c in res.parameters["comparisons"]]
    assert names == ["iin", "name", "dob", "district", "contact"]
    assert 0 < res.parameters["probability_two_random_records_match"] < 0.01
    assert set(res.timings) == {"prepare", "train", "predict", "cluster"}


def test_explain_pair_gives_the_waterfall(deduped, tmp_path):
    engine, res, _ = deduped
    weight = engine.rows(
        "SELECT match_weight FROM mother_pairs WHERE family_id_l = 'D01' AND family_id_r = 'F0000'"
    )[0][0]
    html = tmp_path / "charts" / "new" / "w.html"  # its folder is created
    rows = explain_pair(engine, res, "D01", "F0000", html=html)
    assert rows[0]["column_name"] == "Prior" and rows[-1]["column_name"] == "Final score"
    assert abs(rows[-1]["log2_bayes_factor"] - weight) < 0.01
    assert [r["column_name"] for r in rows[1:-1]] == [
        "iin", "name", "tf_name", "dob", "district", "contact"
    ]  # fmt: skip (tf_name: the name's frequency adjustment)
    assert html.stat().st_size > 1000
    assert "F0000" not in html.read_text() and "D01" not in html.read_text()
    far = explain_pair(engine, res, "F0010", "F0011")  # never blocked together: still explained
    assert far[-1]["log2_bayes_factor"] < 0


def test_children_in_two_families_found_twins_kept_apart(children_table):
    engine = DuckDBEngine()
    engine.register_arrow("children_arrow", children_table)
    engine.materialise("children", "SELECT * FROM children_arrow")
    res = dedupe_children(engine)
    assert _clusters(engine, res) == {("C1", "C2"), ("C5", "C6")}
    fam = engine.rows(
        "SELECT DISTINCT family_id FROM child_records WHERE unique_id IN ('C1', 'C2')"
    )
    assert len(fam) == 2  # the family of each record travels with it (child in two families)


def test_bad_input_is_counted_not_fatal():
    engine = DuckDBEngine()
    engine.execute(
        """CREATE TABLE families AS SELECT * FROM (VALUES
           ('F1', '880101412345', NULL, DATE '1988-01-01'),
           ('F2', 'abc', '', NULL),
           ('F3', NULL, 'Ахметова Aigerim', NULL),
           ('F4', '12', '!!!', DATE '1990-02-03'),
           ('F5', '881301400001', 'Ахметова Айгерим', DATE '1988-01-01'),
           ('F6', NULL, 'Неизвестно', DATE '1988-01-01'),
           ('F7', '000000000000', 'Ахметова Айгерим', DATE '1988-01-01'))
           t(family_id, mother_id, mother_name, mother_birth_date)"""
    )
    res = dedupe_mothers(engine)
    q = res.quality
    assert q["records"] == 7
    assert q["columns_missing"] == ["district", "phone", "bank_account"]
    assert q["name_missing"] == 2 and q["name_unusable"] == 1 and q["name_mixed_script"] == 1
    assert q["name_placeholder"] == 1
    assert q["iin"] == {"valid": 0, "leading_zero_lost": 0, "missing": 2, "placeholder": 1,
                        "not_digits": 1,
                        "wrong_length": 1, "bad_century": 0, "bad_date": 1,
                        "bad_check_digit": 1}  # fmt: skip
    assert q["birth_date_missing"] == 2
    assert engine.rows("SELECT count(*) FROM mother_clusters")[0][0] == 7
    # a placeholder IIN is no IIN: not compared, not blocked on
    assert engine.rows("SELECT iin, iin_block FROM mother_records WHERE unique_id = 'F7'") == [
        (None, None)
    ]


def test_empty_and_single_row_tables():
    engine = DuckDBEngine()
    engine.execute(
        "CREATE TABLE families (family_id VARCHAR, mother_id VARCHAR, mother_name VARCHAR)"
    )
    res = dedupe_mothers(engine)
    assert res.counts["records"] == 0 and res.counts["matched_pairs"] == 0
    engine.execute("INSERT INTO families VALUES ('F1', NULL, 'Ахметова Айгерим')")
    res = dedupe_mothers(engine)
    assert engine.rows("SELECT cluster_size FROM mother_clusters") == [(1,)]
    # two records of one woman: too few to count deterministic matches or estimate u,
    # and the notes say so in words (not Splink's message about recall)
    engine.execute("INSERT INTO families VALUES ('F2', NULL, 'Ахметова Айгерим')")
    res = dedupe_mothers(engine)
    rough = ("only 2 records: chance agreement (u) is estimated from few pairs, so the "
             "weights are rough; check matches with `payproof explain`")  # fmt: skip
    assert res.training_notes[:2] == [
        "prior: no deterministic matches; assumed 0.3 % duplicated records",
        rough,
    ]
    engine.execute("UPDATE families SET mother_id = '880101412345'")  # one certain match
    res = dedupe_mothers(engine)
    assert res.training_notes[:2] == [
        "prior: too few records (2) to count; assumed 0.3 % duplicated records",
        rough,
    ]


def test_constrained_clustering_keeps_judged_different_records_apart():
    from payproof.linkage.split import _constrained_components

    # 'x' (a twin's record with no first name) matches both twins; the twins are judged
    # different people (0.001): x joins the stronger twin, the other stays alone.
    pairs = [("t1", "x", 0.99), ("t2", "x", 0.97), ("t1", "t2", 0.001)]
    assert _constrained_components(pairs, {frozenset(("t1", "t2"))}, 0.9) == {
        "t1": "t1", "x": "t1", "t2": "t2"
    }  # fmt: skip
    # a chain of four with one contradiction at the ends: the strongest joins win
    pairs = [("a", "b", 0.99), ("b", "c", 0.95), ("c", "d", 0.98), ("a", "d", 0.0)]
    parts = _constrained_components(pairs, {frozenset(("a", "d"))}, 0.9)
    assert parts["a"] == parts["b"] and parts["c"] == parts["d"] and parts["a"] != parts["c"]
    # pairs below the threshold never join, contradictions or not
    assert _constrained_components([("a", "b", 0.5)], set(), 0.9) == {"a": "a", "b": "b"}


def test_twins_in_one_family_count_their_shared_birthday_once():
    from payproof.linkage.model import child_spec

    levels = {
        c.output_column_name: [lvl.label_for_charts for lvl in c.comparison_levels]
        for c in (x.get_comparison("duckdb") for x in child_spec().comparisons)
    }
    assert levels["dob"][1:3] == ["exact_same_household", "exact"]


def test_one_edit_invalid_is_as_rare_as_the_registry_makes_it():
    from payproof.linkage.model import invalid_share, mother_spec

    def u_of(quality):
        comp = mother_spec(quality).comparisons[0].get_comparison("duckdb")
        lvl = next(x for x in comp.comparison_levels if x.label_for_charts == "one_edit_invalid")
        return lvl.u_probability

    clean = {"iin": {"valid": 990, "missing": 500, "bad_check_digit": 10}}
    messy = {"iin": {"valid": 800, "missing": 0, "bad_check_digit": 150, "wrong_length": 50}}
    assert invalid_share(clean) == 0.01 and invalid_share(messy) == 0.2
    assert u_of(messy) > 10 * u_of(clean)  # many invalid IINs: a one-edit pair says less
    assert abs(u_of(None) - 4e-3 * (1 - 0.98**2)) < 1e-12


def test_an_exact_plain_id_weighs_what_an_exact_valid_iin_does():
    """Another country's number is one per person: its exact level's u is fixed at the
    valid IIN's, not counted from random pairs (which, in a small file, count the file's
    own duplicates and make a shared ID look common)."""
    from payproof.linkage.model import mother_spec

    def exact(quality):
        comp = mother_spec(quality).comparisons[0].get_comparison("duckdb")
        return next(x for x in comp.comparison_levels if x.label_for_charts == "exact")

    plain, iin = exact({"id_scheme": "plain"}), exact({})
    assert plain.u_probability == iin.u_probability
    assert plain._fix_u_probability and iin._fix_u_probability


def test_a_lost_leading_zero_is_put_back_only_where_the_birth_date_agrees():
    import numpy as np

    from payproof.scenario.identity import iin_numbers

    rng = np.random.default_rng(8)
    iin = f"{iin_numbers(np.array([12_500]), np.array([True]), rng)[0]:012d}"  # 2004-03-23
    engine = DuckDBEngine()
    engine.execute(
        f"""CREATE TABLE families AS SELECT * FROM (VALUES
           ('F1', '{iin[1:]}', 'Ахметова Айгерим', DATE '2004-03-23'),
           ('F2', '{iin[1:]}', 'Серікова Дана', DATE '1990-07-01'),
           ('F3', '{iin[1:]}', 'Омарова Сая', NULL))
           t(family_id, mother_id, mother_name, mother_birth_date)"""
    )
    res = dedupe_mothers(engine)
    got = engine.rows("SELECT unique_id, iin, iin_reason, dob FROM mother_records ORDER BY 1")
    assert got == [
        ("F1", iin, "leading_zero_lost", date(2004, 3, 23)),
        ("F2", iin[1:], "wrong_length", date(1990, 7, 1)),  # the IIN tells another date
        ("F3", iin, "leading_zero_lost", date(2004, 3, 23)),  # the date from the IIN
    ]
    assert res.quality["iin"]["leading_zero_lost"] == 2


def test_a_column_empty_in_every_record_counts_as_absent():
    """Ingest creates every contract column; one the file lacked is NULL throughout."""
    engine = DuckDBEngine()
    engine.execute(
        """CREATE TABLE families AS SELECT * FROM (VALUES
           ('F1', '880101412345', CAST(NULL AS VARCHAR), DATE '1988-01-01'),
           ('F2', '900512412349', NULL, DATE '1990-05-12'))
           t(family_id, mother_id, mother_name, mother_birth_date)"""
    )
    assert dedupe_mothers(engine).quality["columns_missing"] == [
        "mother_name", "district", "phone", "bank_account"]  # fmt: skip


def test_a_cluster_of_too_many_distinct_records_is_left_as_is_and_counted():
    """u distinct records cost u(u-1)/2 scored pairs: above the cap a cluster is not
    rescored (every pair of every cluster ran pseudopeople's W-2 + 1040 out of memory),
    and the count says so."""
    from payproof.linkage.split import split_contradicted

    engine = DuckDBEngine()
    engine.execute("CREATE TABLE recs AS SELECT 'r' || i AS unique_id FROM range(8) t(i)")
    engine.execute(  # one cluster of 5 records, one of 3
        "CREATE TABLE labels AS SELECT unique_id AS node, "
        "CASE WHEN unique_id IN ('r0','r1','r2','r3','r4') THEN 'big' ELSE 'small' END AS label "
        "FROM recs"
    )
    # with a cap of 2 neither is rescored, and no model is needed: nothing is left to score
    relabel, split, unchecked = split_contradicted(engine, None, "recs", "labels", 0.9,
                                                   max_size=2)  # fmt: skip
    assert (relabel.num_rows, split, unchecked) == (0, 0, 2)


def test_no_cluster_of_a_small_registry_goes_unchecked(deduped):
    _, res, _ = deduped
    assert res.counts["clusters_not_checked"] == 0


def test_the_console_says_when_clusters_were_too_big_to_check():
    from payproof.linkage.cli import _quality_lines

    q = {"iin": {"valid": 5, "missing": 0}, "name_missing": 0, "name_placeholder": 0,
         "name_unusable": 0, "name_mixed_script": 0, "birth_date_missing": 0,
         "columns_missing": []}  # fmt: skip
    said = " ".join(_quality_lines({"mothers": {"data_quality": q,
                                                "counts": {"clusters_not_checked": 3}}}))
    assert "3 clusters of more than 2,000 distinct records were not checked" in said
    assert "clusters" not in " ".join(_quality_lines({"mothers": {"data_quality": q}}))


def test_a_failed_em_session_leaves_the_model_as_it_was(registry):
    """No record holds a birth date (both of pseudopeople's tax files): EM on the birth
    date has no pairs and fails. Splink had already adjusted the linker's prior for that
    block and removed the birth date comparison; both stay as they were."""
    import pyarrow as pa

    from payproof.linkage.dedupe import build_linker, train
    from payproof.linkage.model import mother_spec
    from payproof.linkage.prepare import mothers_source, prepare

    table, _ = registry
    data = table.to_pydict()
    data["mother_id"] = [f"S{m}" if m else None for m in data["mother_id"]]  # no IIN: no date
    data["mother_birth_date"] = pa.nulls(table.num_rows, pa.date32())
    engine = DuckDBEngine()
    engine.register_arrow("families_arrow", pa.table(data))
    engine.materialise("families", "SELECT * FROM families_arrow")
    quality = prepare(engine, mothers_source("families", None), "mother_records", "plain")
    spec = mother_spec(quality)
    linker = build_linker(engine, ["mother_records"], spec)
    notes = train(linker, spec, quality["records"], seed=1)
    assert any("dob_text" in n and "failed" in n for n in notes)  # the session did fail
    fresh = build_linker(engine, ["mother_records"], spec)
    fresh.training.estimate_probability_two_random_records_match(spec.deterministic,
                                                                 recall=spec.recall)  # fmt: skip
    settings = linker._settings_obj
    assert settings._probability_two_random_records_match == (
        fresh._settings_obj._probability_two_random_records_match
    )
    assert "dob" in [c.output_column_name for c in settings.comparisons]
