-- Smoke test of the test runner itself: the smallest possible cases.
case "A06 十家备案组织得满分" {
  organizations = { { count = 10, registered = 1 } },
  expect "A06" { value = 10, points = 3, status = "ok" },
  expect "A01" { status = "missing" },               -- no active worker
}
