# Two raw logs of one benchmark (format: bench/lib.sh) side by side: for each metric
# and side, "median [min, max]" of run A and of run B, and whether they agree: "yes"
# when each run's median lies inside the other run's min-max range, "one way" when
# only one of them does, "no" when neither does. Then the same for each ratio the log
# names (# ratio A/B), taken round by round: side A's figure over side B's of one round.
# Usage: awk -f bench/compare.awk A.raw B.raw

function num(v) {
	if (v == "" || v == "-") return "-"
	a = v < 0 ? -v : v
	if (v == int(v) && a < 1e15) return sprintf("%d", v)
	if (a >= 100) return sprintf("%.0f", v)
	if (a >= 10) return sprintf("%.1f", v)
	if (a >= 1) return sprintf("%.2f", v)
	return sprintf("%.3f", v)
}
# median of run r's values of key k; sets gmin, gmax
function median(r, k,    n, i, j, t, s) {
	n = cnt[r, k]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) s[i] = val[r, k, i] + 0
	for (i = 2; i <= n; i++) {
		t = s[i]
		for (j = i - 1; j >= 1 && s[j] > t; j--) s[j + 1] = s[j]
		s[j + 1] = t
	}
	gmin = s[1]; gmax = s[n]
	return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
}
function rest(from,    i, s) {
	s = ""
	for (i = from; i <= NF; i++) s = s (i > from ? " " : "") $i
	return s
}

FNR == 1 { run++ }
$1 == "#" && $2 == "metric" && !($3 in mseen) { mseen[$3] = 1; nm++; mkey[nm] = $3; mlabel[nm] = rest(4); next }
$1 == "#" && $2 == "sides" && run == 1 { ns = NF - 2; for (i = 3; i <= NF; i++) side[i - 2] = $i; next }
$1 == "#" && ($2 == "date" || $2 == "commit" || $2 == "command") { hdr[run, $2] = rest(3); next }
$1 == "#" && $2 == "ratio" && run == 1 { nr++; split($3, p, "/"); ra[nr] = p[1]; rb[nr] = p[2]; next }
$1 == "sample" {
	k = $4 SUBSEP $3; c = ++cnt[run, k]; val[run, k, c] = $5
	at[run, $4, $3, $2] = $5; if ($2 > nround[run]) nround[run] = $2
	next
}

END {
	for (r = 1; r <= 2; r++)
		printf "- run %s: %s, commit %s: `%s`\n", r == 1 ? "A" : "B", hdr[r, "date"], hdr[r, "commit"], hdr[r, "command"]
	print ""
	print "| metric | side | run A | run B | agree |"
	print "|---|---|---:|---:|---|"
	agree = 0; total = 0
	for (m = 1; m <= nm; m++) for (i = 1; i <= ns; i++) {
		k = mkey[m] SUBSEP side[i]
		a = median(1, k); amin = gmin; amax = gmax
		b = median(2, k); bmin = gmin; bmax = gmax
		if (a == "" && b == "") continue
		if (a == "" || b == "") verdict = "-"
		else {
			total++
			ab = a >= bmin && a <= bmax
			ba = b >= amin && b <= amax
			agree += ab && ba
			oneway += ab != ba
			verdict = ab && ba ? "yes" : ab || ba ? "one way" : "**no**"
		}
		printf "| %s | %s | %s | %s | %s |\n", mlabel[m], side[i], \
			a == "" ? "-" : num(a) " [" num(amin) ", " num(amax) "]", \
			b == "" ? "-" : num(b) " [" num(bmin) ", " num(bmax) "]", verdict
	}
	for (r = 1; r <= 2; r++)
		for (q = 1; q <= nr; q++) for (m = 1; m <= nm; m++)
			for (x = 1; x <= nround[r]; x++) {
				u = at[r, mkey[m], ra[q], x]; v = at[r, mkey[m], rb[q], x]
				if (u != "" && v != "" && v + 0 != 0) {
					k = "ratio" q SUBSEP mkey[m]; c = ++cnt[r, k]; val[r, k, c] = u / v
				}
			}
	if (nr) {
		print ""
		print "Ratios, round by round (the sides of one round ran one after the other):"
		print ""
		print "| metric | ratio | run A | run B | agree |"
		print "|---|---|---:|---:|---|"
	}
	ragree = 0; rtotal = 0
	for (q = 1; q <= nr; q++) for (m = 1; m <= nm; m++) {
		k = "ratio" q SUBSEP mkey[m]
		a = median(1, k); amin = gmin; amax = gmax
		b = median(2, k); bmin = gmin; bmax = gmax
		if (a == "" || b == "") continue
		rtotal++
		ab = a >= bmin && a <= bmax
		ba = b >= amin && b <= amax
		ragree += ab && ba
		roneway += ab != ba
		verdict = ab && ba ? "yes" : ab || ba ? "one way" : "**no**"
		printf "| %s | %s / %s | %s | %s | %s |\n", mlabel[m], ra[q], rb[q], \
			num(a) " [" num(amin) ", " num(amax) "]", num(b) " [" num(bmin) ", " num(bmax) "]", verdict
	}
	printf "\n%d of %d agree (each median inside the other run's min-max); %d one way only (one of the two inside the other's); %d neither.\n", agree, total, oneway, total - agree - oneway
	if (rtotal) printf "Ratios: %d of %d agree both ways; %d one way only; %d neither.\n", ragree, rtotal, roneway, rtotal - ragree - roneway
}
