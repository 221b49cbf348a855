-- bench/plain.sql — the baseline: what a data analyst would write instead of
-- kaohe. One SQL script for the stock sqlite3 shell (no extensions) that
-- computes the 33 indicators of POLICY.md §1 (value, status, points) for every
-- community of a snapshot, with the default parameters, and writes them to
-- out.plain_scores(community_id, indicator_id, value, points, max_points, status).
--
-- Invocation (the snapshot is only read; everything is written to OUT):
--
--   sqlite3 SNAPSHOT.db -cmd "ATTACH 'OUT.db' AS out" < bench/plain.sql
--
-- OUT must already hold task_decision(task_id TEXT PRIMARY KEY, decision TEXT):
-- the admission decision of every task (POLICY.md §4), used by B01 only.
-- Deciding tasks means matching PCRE2 patterns (UTF-8, case-insensitive,
-- match limits) and that is out of scope for plain SQL, so the baseline takes
-- the decisions from kaohe's own run: bench/plain_check.sh copies them from
-- the results database (task_decisions of the same run). Everything else is
-- computed here from the snapshot alone.
--
-- Like kaohe's rule queries, this script trusts the snapshot's formats: it is
-- meant for snapshots kaohe accepts (kaohe validates dates YYYY-MM-DD, months
-- YYYY-MM, enums, ranges and references before it evaluates; plain SQL does
-- not repeat that validation).
--
-- Conventions (POLICY.md §0), written once and used everywhere below:
--   * as_of from snapshot_meta; Y = its year; window = Y-01-01 .. as_of.
--   * active    = status = 'active' AND hire_date <= as_of
--   * certified = cert_level IS NOT NULL AND (cert_date IS NULL OR cert_date <= as_of)
--   * ε = 1e-9:  x ≥ t  →  x > t − ε;   x < t  →  x < t − ε;
--                x > t  →  x > t + ε;   x ≤ t  →  x ≤ t + ε;   x = 0 → |x| ≤ ε.
--     So a domain "≥ 0" is violated when x < −ε, "> 0" when x ≤ ε, "≤ 1" when
--     x > 1 + ε; a denominator is zero when |x| ≤ ε.
--   * status order: missing (an input NULL / no row, or a row count that is 0
--     where a count is needed) → invalid (domain) → missing (denominator 0) → ok.
--     missing and invalid: value NULL, 0 points.
--   * LIN(x; a→b) = clamp((x−a)/(b−a), 0, 1); RATIO(x; t) = clamp(x/t, 0, 1);
--     points = f × max, unrounded.
--   * Every input is a REAL (counts and columns cast), so every value is a
--     floating-point quotient, never an integer division.
--
-- Shape: one GROUP BY pass per table (workers together with their visits,
-- organizations, activities, postings, survey_responses, requests, tasks,
-- facts), joined into one wide row per community; 33 small SELECTs over that
-- row give (value, status, scoring); one INSERT scores them all.

.bail on

DROP TABLE IF EXISTS out.plain_scores;
CREATE TABLE out.plain_scores (
  community_id TEXT NOT NULL,
  indicator_id TEXT NOT NULL,
  value        REAL,
  points       REAL NOT NULL,
  max_points   REAL NOT NULL,
  status       TEXT NOT NULL,
  PRIMARY KEY (community_id, indicator_id)
);

BEGIN;
INSERT INTO out.plain_scores (community_id, indicator_id, value, points, max_points, status)
WITH
-- Run constants: as_of, year, window start, weeks of the window (C06),
-- required certificate ratio for Y (A03, POLICY.md §2: milestones
-- 2020 → 0.35, 2023 → 0.60, 2026 → 1.00, linear in between, flat outside).
p AS MATERIALIZED (
  SELECT as_of, y, ys,
         substr(ys, 1, 7) AS first_month, substr(as_of, 1, 7) AS last_month,
         (CAST(julianday(as_of) - julianday(ys) AS INTEGER) + 7) / 7 AS weeks,
         CASE WHEN y <= 2020 THEN 0.35
              WHEN y <= 2023 THEN 0.35 + (0.60 - 0.35) * (y - 2020) / 3.0
              WHEN y <= 2026 THEN 0.60 + (1.00 - 0.60) * (y - 2023) / 3.0
              ELSE 1.00 END AS cert_required
  FROM (SELECT value AS as_of,
               CAST(substr(value, 1, 4) AS INTEGER) AS y,
               substr(value, 1, 4) || '-01-01' AS ys
        FROM snapshot_meta WHERE key = 'as_of')
),
-- B05: visits per worker, months of Y whose first day is on or before as_of,
-- i.e. Y-01 <= month <= the month of as_of (kaohe refuses a snapshot whose
-- months are not YYYY-MM, so plain text comparison is exact). visits is
-- keyed by (worker_id, month): this GROUP BY streams in key order.
vis AS MATERIALIZED (
  SELECT v.worker_id,
         TOTAL(v.visited) AS visited, TOTAL(v.assigned) AS assigned, COUNT(*) AS n,
         COUNT(*) FILTER (WHERE v.visited < 0 OR v.visited > v.assigned) AS bad
  FROM visits v, p
  WHERE v.month BETWEEN p.first_month AND p.last_month
  GROUP BY v.worker_id
),
-- Workers: active-worker counts (A01–A05, F02) and, for every worker whatever
-- the status, the visits (B05) — one pass.
w AS (
  SELECT w.community_id,
         COUNT(*) FILTER (WHERE is_active) AS active,
         COUNT(*) FILTER (WHERE is_active AND cert_level IS NOT NULL
                                  AND (cert_date IS NULL OR cert_date <= as_of)) AS certified,
         COUNT(*) FILTER (WHERE is_active AND education IN ('postgraduate', 'bachelor', 'college')) AS college,
         COUNT(*) FILTER (WHERE is_active AND education IS NOT NULL) AS edu_reported,
         COUNT(*) FILTER (WHERE is_active AND training_hours > 60 - 1e-9) AS trained,
         COUNT(*) FILTER (WHERE is_active AND training_hours IS NOT NULL) AS train_reported,
         COUNT(*) FILTER (WHERE is_active AND score_residents > 60 - 1e-9) AS res_passed,
         COUNT(*) FILTER (WHERE is_active AND score_residents IS NOT NULL) AS res_rated,
         TOTAL(vis.visited) AS visited, TOTAL(vis.assigned) AS assigned,
         TOTAL(vis.n) AS visit_rows, TOTAL(vis.bad) AS visit_bad
  FROM (SELECT w.*, (w.status = 'active' AND w.hire_date <= p.as_of) AS is_active, p.as_of
        FROM workers w, p) w
  LEFT JOIN vis ON vis.worker_id = w.id
  GROUP BY w.community_id
),
o AS (
  SELECT community_id,
         COUNT(*) FILTER (WHERE registered = 1) AS registered,
         COUNT(*) FILTER (WHERE registered = 1 AND evaluated = 1) AS reg_evaluated,
         COUNT(*) FILTER (WHERE evaluated = 1) AS evaluated,
         COUNT(*) FILTER (WHERE evaluated = 1 AND rating IS NOT NULL) AS rated
  FROM organizations GROUP BY community_id
),
-- Activities in the window, every kind in one pass.
act AS (
  SELECT community_id,
         COUNT(*) AS events,
         COUNT(*) FILTER (WHERE kind = 'consultation') AS consultation,
         COUNT(*) FILTER (WHERE kind = 'volunteer') AS volunteer,
         COUNT(*) FILTER (WHERE kind IN ('resident', 'culture')) AS resident_culture,
         COUNT(*) FILTER (WHERE kind = 'co_building') AS co_building,
         COUNT(*) FILTER (WHERE kind = 'civility') AS civility,
         TOTAL(participants) AS participants,              -- NULL counts as 0
         COUNT(*) FILTER (WHERE participants < 0) AS negative
  FROM activities, p
  WHERE held_on BETWEEN p.ys AND p.as_of
  GROUP BY community_id
),
-- Postings in the window: how many, and in how many distinct weeks
-- (week of day d = floor((d − Y-01-01) / 7)).
post AS (
  SELECT community_id, COUNT(*) AS postings,
         COUNT(DISTINCT CAST((julianday(posted_on) - julianday(p.ys)) / 7 AS INTEGER)) AS weeks_posted
  FROM postings, p
  WHERE posted_on BETWEEN p.ys AND p.as_of
  GROUP BY community_id
),
srv AS (
  SELECT community_id, COUNT(*) AS responses,
         COUNT(*) FILTER (WHERE satisfied = 1) AS satisfied
  FROM survey_responses GROUP BY community_id
),
-- Requests received in the window; in time = resolved within 5 days.
req AS (
  SELECT community_id, COUNT(*) AS received,
         COUNT(*) FILTER (WHERE resolved_on IS NOT NULL
                            AND julianday(resolved_on) - julianday(received_on) <= 5) AS in_time
  FROM requests, p
  WHERE received_on BETWEEN p.ys AND p.as_of
  GROUP BY community_id
),
-- B01: tasks received in the window whose decision is not 'admit'
-- (decisions from task_decision, see the header).
tsk AS (
  SELECT t.community_id, COUNT(*) AS unadmitted
  FROM tasks t JOIN task_decision d ON d.task_id = t.id, p
  WHERE d.decision <> 'admit' AND t.received_on BETWEEN p.ys AND p.as_of
  GROUP BY t.community_id
),
-- Facts pivoted, one row per community (facts is keyed by (community_id, key)).
-- No row and a NULL value are both NULL here, i.e. missing.
f AS (
  SELECT community_id,
         MAX(CASE WHEN key = 'registered_volunteers'      THEN CAST(value AS REAL) END) AS volunteers,
         MAX(CASE WHEN key = 'plates'                     THEN CAST(value AS REAL) END) AS plates,
         MAX(CASE WHEN key = 'banned_certificates_issued' THEN CAST(value AS REAL) END) AS banned,
         MAX(CASE WHEN key = 'service_area_m2'            THEN CAST(value AS REAL) END) AS area,
         MAX(CASE WHEN key = 'public_service_items'       THEN CAST(value AS REAL) END) AS items,
         MAX(CASE WHEN key = 'amenity_types'              THEN CAST(value AS REAL) END) AS amenity,
         MAX(CASE WHEN key = 'service_windows'            THEN CAST(value AS REAL) END) AS windows,
         MAX(CASE WHEN key = 'compounds_managed'          THEN CAST(value AS REAL) END) AS managed,
         MAX(CASE WHEN key = 'compounds'                  THEN CAST(value AS REAL) END) AS compounds,
         MAX(CASE WHEN key = 'env_issues_closed_7d'       THEN CAST(value AS REAL) END) AS closed,
         MAX(CASE WHEN key = 'env_issues'                 THEN CAST(value AS REAL) END) AS issues,
         MAX(CASE WHEN key = 'waste_sort_accuracy'        THEN CAST(value AS REAL) END) AS accuracy,
         MAX(CASE WHEN key = 'facilities_ok_ratio'        THEN CAST(value AS REAL) END) AS ok_ratio,
         MAX(CASE WHEN key = 'blight_spots'               THEN CAST(value AS REAL) END) AS blight,
         MAX(CASE WHEN key = 'valid_complaints'           THEN CAST(value AS REAL) END) AS complaints
  FROM facts
  WHERE key IN ('registered_volunteers', 'plates', 'banned_certificates_issued', 'service_area_m2',
                'public_service_items', 'amenity_types', 'service_windows', 'compounds_managed',
                'compounds', 'env_issues_closed_7d', 'env_issues', 'waste_sort_accuracy',
                'facilities_ok_ratio', 'blight_spots', 'valid_complaints')
  GROUP BY community_id
),
-- One wide row per community; counts of absent rows are 0.
b AS MATERIALIZED (
  SELECT c.id,
         CAST(c.population AS REAL) AS pop, CAST(c.households AS REAL) AS hh,
         COALESCE(w.active, 0) AS active, COALESCE(w.certified, 0) AS certified,
         COALESCE(w.college, 0) AS college, COALESCE(w.edu_reported, 0) AS edu_reported,
         COALESCE(w.trained, 0) AS trained, COALESCE(w.train_reported, 0) AS train_reported,
         COALESCE(w.res_passed, 0) AS res_passed, COALESCE(w.res_rated, 0) AS res_rated,
         COALESCE(w.visited, 0) AS visited, COALESCE(w.assigned, 0) AS assigned,
         COALESCE(w.visit_rows, 0) AS visit_rows, COALESCE(w.visit_bad, 0) AS visit_bad,
         COALESCE(o.registered, 0) AS registered, COALESCE(o.reg_evaluated, 0) AS reg_evaluated,
         COALESCE(o.evaluated, 0) AS evaluated, COALESCE(o.rated, 0) AS rated,
         COALESCE(act.events, 0) AS events, COALESCE(act.consultation, 0) AS consultation,
         COALESCE(act.volunteer, 0) AS volunteer, COALESCE(act.resident_culture, 0) AS resident_culture,
         COALESCE(act.co_building, 0) AS co_building, COALESCE(act.civility, 0) AS civility,
         COALESCE(act.participants, 0) AS participants, COALESCE(act.negative, 0) AS negative,
         COALESCE(post.postings, 0) AS postings, COALESCE(post.weeks_posted, 0) AS weeks_posted,
         COALESCE(srv.responses, 0) AS responses, COALESCE(srv.satisfied, 0) AS satisfied,
         COALESCE(req.received, 0) AS received, COALESCE(req.in_time, 0) AS in_time,
         COALESCE(tsk.unadmitted, 0) AS unadmitted,
         f.volunteers, f.plates, f.banned, f.area, f.items, f.amenity, f.windows, f.managed,
         f.compounds, f.closed, f.issues, f.accuracy, f.ok_ratio, f.blight, f.complaints,
         p.weeks, p.cert_required
  FROM communities c CROSS JOIN p
  LEFT JOIN w    ON w.community_id = c.id
  LEFT JOIN o    ON o.community_id = c.id
  LEFT JOIN act  ON act.community_id = c.id
  LEFT JOIN post ON post.community_id = c.id
  LEFT JOIN srv  ON srv.community_id = c.id
  LEFT JOIN req  ON req.community_id = c.id
  LEFT JOIN tsk  ON tsk.community_id = c.id
  LEFT JOIN f    ON f.community_id = c.id
),
-- (community, indicator, status, value, scoring kind, a, b, max).
-- LIN uses s1 → s2; RATIO uses target s1 (s2 unused).
i (community_id, indicator_id, status, value, kind, s1, s2, max_points) AS (
  -- A 队伍精良 -------------------------------------------------------------
  SELECT id, 'A01',
         CASE WHEN pop IS NULL OR active = 0 THEN 'missing'
              WHEN pop <= 1e-9 THEN 'invalid' ELSE 'ok' END,
         active * 10000.0 / pop, 'lin', 10, 17, 3 FROM b
  UNION ALL SELECT id, 'A02',
         CASE WHEN hh IS NULL OR active = 0 THEN 'missing'
              WHEN hh <= 1e-9 THEN 'invalid' ELSE 'ok' END,
         hh / active, 'lin', 450, 300, 3 FROM b
  UNION ALL SELECT id, 'A03',
         CASE WHEN active = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * certified / active, 'ratio', cert_required, NULL, 4 FROM b
  UNION ALL SELECT id, 'A04',
         CASE WHEN active = 0 OR edu_reported = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * college / edu_reported, 'lin', 0.60, 0.85, 2 FROM b
  UNION ALL SELECT id, 'A05',
         CASE WHEN active = 0 OR train_reported = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * trained / train_reported, 'lin', 0, 1, 3 FROM b
  UNION ALL SELECT id, 'A06', 'ok', 1.0 * registered, 'lin', 5, 10, 3 FROM b
  UNION ALL SELECT id, 'A07',
         CASE WHEN volunteers IS NULL OR pop IS NULL THEN 'missing'
              WHEN volunteers < -1e-9 OR pop <= 1e-9 THEN 'invalid' ELSE 'ok' END,
         volunteers / pop, 'lin', 0.05, 0.15, 2 FROM b
  -- B 治理精细 -------------------------------------------------------------
  UNION ALL SELECT id, 'B01', 'ok', 1.0 * unadmitted, 'lin', 10, 0, 4 FROM b
  UNION ALL SELECT id, 'B02',
         CASE WHEN registered = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * reg_evaluated / registered, 'lin', 0.5, 1.0, 2 FROM b
  UNION ALL SELECT id, 'B03',
         CASE WHEN evaluated = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * rated / evaluated, 'lin', 0.30, 0.60, 3 FROM b
  UNION ALL SELECT id, 'B04', 'ok', 1.0 * consultation, 'lin', 4, 12, 3 FROM b
  UNION ALL SELECT id, 'B05',
         CASE WHEN visit_rows = 0 THEN 'missing'
              WHEN visit_bad > 0 THEN 'invalid'
              WHEN abs(assigned) <= 1e-9 THEN 'missing' ELSE 'ok' END,
         visited / assigned, 'lin', 0.70, 0.95, 4 FROM b
  UNION ALL SELECT id, 'B06',
         CASE WHEN plates IS NULL THEN 'missing'
              WHEN plates < -1e-9 THEN 'invalid' ELSE 'ok' END,
         plates, 'lin', 6, 2, 2 FROM b
  UNION ALL SELECT id, 'B07',
         CASE WHEN banned IS NULL THEN 'missing'
              WHEN banned < -1e-9 THEN 'invalid' ELSE 'ok' END,
         banned, 'lin', 5, 0, 2 FROM b
  -- C 服务精准 -------------------------------------------------------------
  UNION ALL SELECT id, 'C01',
         CASE WHEN area IS NULL OR hh IS NULL THEN 'missing'
              WHEN area < -1e-9 OR hh <= 1e-9 THEN 'invalid' ELSE 'ok' END,
         area / hh * 100, 'lin', 15, 30, 3 FROM b
  UNION ALL SELECT id, 'C02',
         CASE WHEN items IS NULL THEN 'missing'
              WHEN items < -1e-9 THEN 'invalid' ELSE 'ok' END,
         items, 'ratio', 28, NULL, 3 FROM b
  UNION ALL SELECT id, 'C03',
         CASE WHEN received = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * in_time / received, 'lin', 0.80, 0.95, 3 FROM b
  UNION ALL SELECT id, 'C04', 'ok', 1.0 * volunteer, 'ratio', 24, NULL, 2 FROM b
  UNION ALL SELECT id, 'C05',
         CASE WHEN amenity IS NULL THEN 'missing'
              WHEN amenity < -1e-9 OR amenity > 8 + 1e-9 THEN 'invalid' ELSE 'ok' END,
         amenity, 'ratio', 8, NULL, 3 FROM b
  UNION ALL SELECT id, 'C06',
         CASE WHEN postings = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * weeks_posted / weeks, 'lin', 0.5, 1.0, 3 FROM b
  UNION ALL SELECT id, 'C07',
         CASE WHEN windows IS NULL THEN 'missing'
              WHEN windows < -1e-9 THEN 'invalid' ELSE 'ok' END,
         windows, 'ratio', 2, NULL, 3 FROM b
  -- D 环境精美 -------------------------------------------------------------
  UNION ALL SELECT id, 'D01',
         CASE WHEN managed IS NULL OR compounds IS NULL THEN 'missing'
              WHEN managed < -1e-9 OR compounds < -1e-9 OR managed > compounds + 1e-9 THEN 'invalid'
              WHEN abs(compounds) <= 1e-9 THEN 'missing' ELSE 'ok' END,
         managed / compounds, 'ratio', 1.0, NULL, 3 FROM b
  UNION ALL SELECT id, 'D02',
         CASE WHEN closed IS NULL OR issues IS NULL THEN 'missing'
              WHEN closed < -1e-9 OR issues < -1e-9 OR closed > issues + 1e-9 THEN 'invalid'
              ELSE 'ok' END,
         CASE WHEN issues = 0 THEN 1.0 ELSE closed / issues END,   -- 0 issues → 1
         'lin', 0.80, 0.95, 3 FROM b
  UNION ALL SELECT id, 'D03',
         CASE WHEN accuracy IS NULL THEN 'missing'
              WHEN accuracy < -1e-9 OR accuracy > 1 + 1e-9 THEN 'invalid' ELSE 'ok' END,
         accuracy, 'lin', 0.60, 0.90, 2 FROM b
  UNION ALL SELECT id, 'D04',
         CASE WHEN ok_ratio IS NULL THEN 'missing'
              WHEN ok_ratio < -1e-9 OR ok_ratio > 1 + 1e-9 THEN 'invalid' ELSE 'ok' END,
         ok_ratio, 'lin', 0.85, 0.98, 2 FROM b
  UNION ALL SELECT id, 'D05',
         CASE WHEN blight IS NULL THEN 'missing'
              WHEN blight < -1e-9 THEN 'invalid' ELSE 'ok' END,
         blight, 'lin', 5, 0, 2 FROM b
  -- E 文化精彩 -------------------------------------------------------------
  UNION ALL SELECT id, 'E01', 'ok', 1.0 * resident_culture, 'ratio', 30, NULL, 3 FROM b
  UNION ALL SELECT id, 'E02', 'ok', 1.0 * co_building, 'ratio', 2, NULL, 2 FROM b
  UNION ALL SELECT id, 'E03', 'ok', 1.0 * civility, 'ratio', 12, NULL, 2 FROM b
  UNION ALL SELECT id, 'E04',
         CASE WHEN pop IS NULL OR events = 0 THEN 'missing'
              WHEN pop <= 1e-9 OR negative > 0 THEN 'invalid' ELSE 'ok' END,
         participants / pop, 'lin', 0.1, 0.5, 3 FROM b
  -- F 群众满意 -------------------------------------------------------------
  UNION ALL SELECT id, 'F01',
         CASE WHEN responses < 30 - 1e-9 THEN 'missing' ELSE 'ok' END,   -- < 30 responses
         1.0 * satisfied / responses, 'lin', 0.75, 0.95, 10 FROM b
  UNION ALL SELECT id, 'F02',
         CASE WHEN active = 0 OR res_rated = 0 THEN 'missing' ELSE 'ok' END,
         1.0 * res_passed / res_rated, 'lin', 0.80, 1.0, 4 FROM b
  UNION ALL SELECT id, 'F03',
         CASE WHEN complaints IS NULL OR hh IS NULL THEN 'missing'
              WHEN complaints < -1e-9 OR hh <= 1e-9 THEN 'invalid' ELSE 'ok' END,
         complaints / hh * 1000, 'lin', 10, 2, 4 FROM b
),
-- A value SQL cannot compute (a division by zero no rule above caught) is
-- missing too; there should be none.
s AS (
  SELECT community_id, indicator_id, kind, s1, s2, max_points,
         CASE WHEN status = 'ok' AND value IS NULL THEN 'missing' ELSE status END AS status,
         CASE WHEN status = 'ok' THEN value END AS value
  FROM i
)
SELECT community_id, indicator_id, value,
       CASE WHEN status <> 'ok' THEN 0.0
            ELSE max_points * max(0.0, min(1.0,
                   CASE kind WHEN 'lin' THEN (value - s1) / (s2 - s1) ELSE value / s1 END))
       END AS points,
       max_points, status
FROM s;
COMMIT;
