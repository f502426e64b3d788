"""Hand-written reference SQL for the statistics benchmark: one query per section.

Plain SQL that runs on SQLite and PostgreSQL alike, written the way one would by hand for the
same figures. `{nodes}` is replaced by the ancestor filter: one node (`= :root`) or the whole
subtree (`IN (SELECT descendant_code … WHERE ancestor_code = :root)`). The benchmark checks that
these queries and the application agree on every figure, then compares their speed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Date, bindparam, text

ONE_NODE = "c.ancestor_code = :root"
SUBTREE = ("c.ancestor_code IN (SELECT descendant_code FROM jurisdiction_closure "
           "WHERE ancestor_code = :root)")

BASIC = """
WITH latest AS (
    SELECT unit_id, obs_wuchang_6t, obs_haccp, obs_haccp_cert_expires_on,
           obs_mc_transparent, obs_mc_video, obs_mc_internet,
           ROW_NUMBER() OVER (PARTITION BY unit_id
                              ORDER BY inspected_on DESC, started_at DESC, id ASC) AS rn
    FROM inspections
    WHERE deleted_at IS NULL AND inspected_on <= :cutoff
      AND unit_kind IN ('canteen', 'supplier')
), licensed AS (
    SELECT u.id, u.kind, u.jurisdiction_code,
           CASE WHEN l.unit_id IS NULL THEN u.wuchang_6t ELSE l.obs_wuchang_6t END AS wuchang,
           CASE WHEN l.unit_id IS NULL THEN u.haccp ELSE l.obs_haccp END AS haccp,
           CASE WHEN l.unit_id IS NULL THEN u.haccp_cert_expires_on
                ELSE l.obs_haccp_cert_expires_on END AS cert,
           CASE WHEN l.unit_id IS NULL THEN u.mc_transparent ELSE l.obs_mc_transparent END AS mt,
           CASE WHEN l.unit_id IS NULL THEN u.mc_video ELSE l.obs_mc_video END AS mv,
           CASE WHEN l.unit_id IS NULL THEN u.mc_internet ELSE l.obs_mc_internet END AS mi
    FROM units u
    LEFT JOIN latest l ON l.unit_id = u.id AND l.rn = 1
    WHERE u.kind IN ('canteen', 'supplier') AND u.licence_no IS NOT NULL
      AND u.licence_issued_on <= :cutoff AND u.licence_expires_on >= :cutoff
      AND NOT EXISTS (SELECT 1 FROM enforcement_cases e
                      WHERE e.unit_id = u.id AND e.licence_revoked_on <= :cutoff)
), stock AS (
    SELECT c.ancestor_code,
           SUM(CASE WHEN kind = 'canteen' THEN 1 ELSE 0 END) AS a1,
           SUM(CASE WHEN kind = 'canteen' AND wuchang THEN 1 ELSE 0 END) AS a2,
           SUM(CASE WHEN kind = 'canteen' AND haccp IN ('established', 'certified')
                    THEN 1 ELSE 0 END) AS a3,
           SUM(CASE WHEN kind = 'canteen' AND (mt OR mv OR mi) THEN 1 ELSE 0 END) AS a4,
           SUM(CASE WHEN kind = 'canteen' AND mv THEN 1 ELSE 0 END) AS a5,
           SUM(CASE WHEN kind = 'canteen' AND mi THEN 1 ELSE 0 END) AS a6,
           SUM(CASE WHEN kind = 'supplier' THEN 1 ELSE 0 END) AS b1,
           SUM(CASE WHEN kind = 'supplier' AND haccp IN ('established', 'certified')
                    THEN 1 ELSE 0 END) AS b3,
           SUM(CASE WHEN kind = 'supplier' AND haccp = 'certified' AND cert >= :cutoff
                    THEN 1 ELSE 0 END) AS b4,
           SUM(CASE WHEN kind = 'supplier' AND (mt OR mv OR mi) THEN 1 ELSE 0 END) AS b5
    FROM licensed s JOIN jurisdiction_closure c ON c.descendant_code = s.jurisdiction_code
    WHERE {nodes}
    GROUP BY c.ancestor_code
), supplied AS (
    SELECT c.ancestor_code, COUNT(DISTINCT k.school_id) AS b2
    FROM supply_links k
    JOIN licensed s ON s.id = k.supplier_id AND s.kind = 'supplier'
    JOIN jurisdiction_closure c ON c.descendant_code = s.jurisdiction_code
    WHERE {nodes} AND k.starts_on <= :cutoff AND (k.ends_on IS NULL OR k.ends_on >= :cutoff)
    GROUP BY c.ancestor_code
)
SELECT stock.ancestor_code, a1, a2, a3, a4, a5, a6, b1, COALESCE(b2, 0) AS b2, b3, b4, b5
FROM stock LEFT JOIN supplied ON supplied.ancestor_code = stock.ancestor_code
"""

_PROBLEMS = [("c1", "canteen", "raw_material"), ("c2", "canteen", "processing"),
             ("c3", "canteen", "cleaning"), ("c4", "canteen", "environment"),
             ("c5", "canteen", "other"), ("c6", "supplier", "raw_material"),
             ("c7", "supplier", "processing"), ("c8", "supplier", "cleaning"),
             ("c9", "supplier", "environment"), ("c10", "supplier", "distribution"),
             ("c11", "supplier", "other")]

RECTIFICATION = """
SELECT c.ancestor_code, {columns}
FROM findings f
JOIN inspections i ON i.id = f.inspection_id
JOIN jurisdiction_closure c ON c.descendant_code = i.jurisdiction_code
WHERE {{nodes}} AND i.deleted_at IS NULL AND i.inspected_on BETWEEN :start AND :cutoff
  AND i.unit_kind IN ('canteen', 'supplier')
GROUP BY c.ancestor_code
""".format(columns=",\n       ".join(
    f"COUNT(DISTINCT CASE WHEN i.unit_kind = '{kind}' AND f.category = '{category}' "
    f"THEN i.unit_id END) AS {code}" for code, kind, category in _PROBLEMS))

ENFORCEMENT = """
WITH per_county AS (
    SELECT jurisdiction_code, COUNT(*) AS d1, 0 AS d2, 0 AS d3, 0 AS d4, 0 AS d5, 0 AS d6,
           0 AS d7, 0 AS d8
    FROM inspections
    WHERE deleted_at IS NULL AND inspected_on BETWEEN :start AND :cutoff
    GROUP BY jurisdiction_code
    UNION ALL
    SELECT o.jurisdiction_code, 0, COUNT(*), 0, 0, 0, 0, 0, 0
    FROM rectification_orders o JOIN inspections i ON i.id = o.inspection_id
    WHERE i.deleted_at IS NULL AND o.issued_on BETWEEN :start AND :cutoff
    GROUP BY o.jurisdiction_code
    UNION ALL
    SELECT e.jurisdiction_code, 0, 0,
           SUM(CASE WHEN e.filed_on BETWEEN :start AND :cutoff THEN 1 ELSE 0 END),
           SUM(CASE WHEN e.decided_on BETWEEN :start AND :cutoff
                    THEN CAST(ROUND((e.fine_yuan + e.confiscated_yuan) * 100) AS BIGINT)
                    ELSE 0 END),
           COUNT(DISTINCT CASE WHEN e.licence_revoked_on BETWEEN :start AND :cutoff
                               THEN e.unit_id END),
           COUNT(DISTINCT CASE WHEN e.banned_on BETWEEN :start AND :cutoff
                                AND u.kind = 'unlicensed' THEN e.unit_id END),
           SUM(CASE WHEN e.transferred_on BETWEEN :start AND :cutoff THEN 1 ELSE 0 END),
           SUM(CASE WHEN e.criminal_filed_on BETWEEN :start AND :cutoff THEN 1 ELSE 0 END)
    FROM enforcement_cases e JOIN units u ON u.id = e.unit_id
    GROUP BY e.jurisdiction_code
)
SELECT c.ancestor_code, SUM(d1) AS d1, SUM(d2) AS d2, SUM(d3) AS d3, SUM(d4) AS d4_cents,
       SUM(d5) AS d5, SUM(d6) AS d6, SUM(d7) AS d7, SUM(d8) AS d8
FROM per_county p JOIN jurisdiction_closure c ON c.descendant_code = p.jurisdiction_code
WHERE {nodes}
GROUP BY c.ancestor_code
"""

SECTIONS = {"basic": BASIC, "rectification": RECTIFICATION, "enforcement": ENFORCEMENT}


def run_section(conn: Connection, section: str, root: str, start: date, cutoff: date,
                subtree: bool) -> dict[str, dict[str, int]]:
    """Run one section's reference query; returns ancestor → {row code: figure}."""
    sql = SECTIONS[section].replace("{nodes}", SUBTREE if subtree else ONE_NODE)
    statement = text(sql).bindparams(bindparam("cutoff", type_=Date))
    if ":start" in sql:
        statement = statement.bindparams(bindparam("start", type_=Date))
    params = {"root": root, "cutoff": cutoff}
    if ":start" in sql:
        params["start"] = start
    out = {}
    for row in conn.execute(statement, params).mappings():
        out[row["ancestor_code"]] = {key.upper(): int(value or 0) for key, value in row.items()
                                     if key != "ancestor_code"}
    return out
