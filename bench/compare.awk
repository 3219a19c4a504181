# Two raw logs of one benchmark (format: bench/lib.sh) side by side: for each metric
# and side, "median [min, max]" of run A and of run B, and whether they agree: "yes"
# when each run's median lies inside the other run's min-max range, "one way" when
# only one of them does, "no" when neither does. Then the same for each ratio the log
# names (# ratio A/B), taken round by round: side A's figure over side B's of one round.
# Usage: bench/compare.sh A.raw B.raw

# median of run r's values of key k; sets gmin, gmax
function median(r, k,    n, i, s) {
	n = cnt[r, k]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) s[i] = val[r, k, i] + 0
	return sorted_median(s, n)
}
# "yes" when each median lies in the other run's range, "one way", "**no**"; counts them
function verdict(a, amin, amax, b, bmin, bmax, kind,    ab, ba) {
	ab = a >= bmin && a <= bmax
	ba = b >= amin && b <= amax
	total[kind]++
	if (ab && ba) { both[kind]++; return "yes" }
	if (ab || ba) { oneway[kind]++; return "one way" }
	return "**no**"
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
	for (m = 1; m <= nm; m++) for (i = 1; i <= ns; i++) {
		k = mkey[m] SUBSEP side[i]
		a = median(1, k); amin = gmin; amax = gmax
		b = median(2, k); bmin = gmin; bmax = gmax
		if (a == "" && b == "") continue
		said = a == "" || b == "" ? "-" : verdict(a, amin, amax, b, bmin, bmax, "median")
		printf "| %s | %s | %s | %s | %s |\n", mlabel[m], side[i], \
			a == "" ? "-" : num(a) " [" num(amin) ", " num(amax) "]", \
			b == "" ? "-" : num(b) " [" num(bmin) ", " num(bmax) "]", said
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
	for (q = 1; q <= nr; q++) for (m = 1; m <= nm; m++) {
		k = "ratio" q SUBSEP mkey[m]
		a = median(1, k); amin = gmin; amax = gmax
		b = median(2, k); bmin = gmin; bmax = gmax
		if (a == "" || b == "") continue
		printf "| %s | %s / %s | %s | %s | %s |\n", mlabel[m], ra[q], rb[q], \
			num(a) " [" num(amin) ", " num(amax) "]", num(b) " [" num(bmin) ", " num(bmax) "]", \
			verdict(a, amin, amax, b, bmin, bmax, "ratio")
	}
	k = "median"
	printf "\n%d of %d agree (each median inside the other run's min-max); %d one way only (one of the two inside the other's); %d neither.\n", both[k], total[k], oneway[k], total[k] - both[k] - oneway[k]
	k = "ratio"
	if (total[k]) printf "Ratios: %d of %d agree both ways; %d one way only; %d neither.\n", both[k], total[k], oneway[k], total[k] - both[k] - oneway[k]
}
