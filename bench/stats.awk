# Shared by bench/report.awk and bench/compare.awk (awk -f bench/stats.awk -f ...).

# A figure for a table: integers as they are, others to three significant digits or so.
function num(v,    a) {
	if (v == "" || v == "-") return "-"
	a = v < 0 ? -v : v
	if (v == int(v) && a < 1e15) return sprintf("%d", v)
	if (a >= 100) return sprintf("%.0f", v)
	if (a >= 10) return sprintf("%.1f", v)
	if (a >= 1) return sprintf("%.2f", v)
	return sprintf("%.3f", v)
}

# The median of s[1..n] (sorted in place); sets gmin and gmax.
function sorted_median(s, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = s[i]
		for (j = i - 1; j >= 1 && s[j] > t; j--) s[j + 1] = s[j]
		s[j + 1] = t
	}
	gmin = s[1]; gmax = s[n]
	return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
}
