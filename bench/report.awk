# A raw benchmark log (format: bench/lib.sh) as a Markdown table: one row per metric,
# one column per side with "median [min, max]" over the rounds, then one column per
# ratio of medians. Facts (info: KEY with _ for blanks), notes and failures follow.
# Run with bench/stats.awk: awk -f bench/stats.awk -f bench/report.awk RAW

# median of the values of key k; sets gmin, gmax, gn
function median(k,    n, i, s) {
	n = cnt[k]
	gn = n
	if (n == 0) return ""
	for (i = 1; i <= n; i++) s[i] = val[k, i] + 0
	return sorted_median(s, n)
}
# rounds list "1-3, 5" from a space-separated ascending list
function ranges(list,    a, n, i, out, start, prev) {
	n = split(list, a, " ")
	out = ""
	for (i = 1; i <= n; i++) {
		if (i == 1 || a[i] != prev + 1) {
			if (i > 1) out = out (start == prev ? start : start "-" prev) ", "
			start = a[i]
		}
		prev = a[i]
	}
	return out (start == prev ? start : start "-" prev)
}
function rest(from,    i, s) {
	s = ""
	for (i = from; i <= NF; i++) s = s (i > from ? " " : "") $i
	return s
}

$1 == "#" && $2 == "metric" { nm++; mkey[nm] = $3; mlabel[nm] = rest(4); next }
$1 == "#" && $2 == "ratio" { nr++; split($3, p, "/"); ra[nr] = p[1]; rb[nr] = p[2]; next }
$1 == "#" && $2 == "sides" { ns = NF - 2; for (i = 3; i <= NF; i++) side[i - 2] = $i; next }
$1 == "#" && $2 == "text" { ntext++; text[ntext] = rest(3); next }
$1 == "#" { hdr[$2] = rest(3); next }
$1 == "sample" {
	k = $4 SUBSEP $3
	cnt[k]++
	val[k, cnt[k]] = $5
	next
}
$1 == "info" {
	ik = $3
	if (!(ik in iseen)) { iseen[ik] = 1; ni++; ikey[ni] = ik }
	info[ik, $2] = rest(4)
	next
}
$1 == "note" || $1 == "fail" {
	t = $1 " " $3 " " rest(4)
	if (!(t in nseen)) { nseen[t] = 1; nn++; nkey[nn] = t; nrounds[t] = $2 } else nrounds[t] = nrounds[t] " " $2
	next
}

END {
	rounds = hdr["rounds"] + 0
	printf "### %s: %s, commit %s\n\n", hdr["title"], hdr["date"], hdr["commit"]
	search = hdr["kind"] == "search"
	printf "`%s`", hdr["command"]
	if (!search) printf ": %d round%s", rounds, rounds == 1 ? "" : "s"
	if (!search && ns > 1) {
		printf ", each round "
		for (i = 1; i <= ns; i++) printf "%s%s", side[i], i < ns ? ", " : ""
		printf " in turn"
	}
	printf ", in one nested Xen boot."
	if (rounds > 1) printf " Cells: median [min, max] over the rounds (n=K where fewer rounds gave a number)."
	if (!search && rounds < 5) printf " **Only %d round%s: a trial, not a result.**", rounds, rounds == 1 ? "" : "s"
	printf "\n"
	for (i = 1; i <= ntext; i++) printf "%s\n", text[i]
	printf "\n| metric |"
	for (i = 1; i <= ns; i++) printf " %s |", side[i]
	for (i = 1; i <= nr; i++) printf " %s / %s |", ra[i], rb[i]
	printf "\n|---|"
	for (i = 1; i <= ns + nr; i++) printf "---:|"
	printf "\n"
	for (m = 1; m <= nm; m++) {
		printf "| %s |", mlabel[m]
		for (i = 1; i <= ns; i++) {
			k = mkey[m] SUBSEP side[i]
			med[i] = median(k)
			if (med[i] == "") { printf " - |"; continue }
			cell = num(med[i])
			if (gn > 1) cell = cell " [" num(gmin) ", " num(gmax) "]"
			if (rounds > 1 && gn < rounds) cell = cell " (n=" gn ")"
			printf " %s |", cell
			mv[side[i]] = med[i]
		}
		for (i = 1; i <= nr; i++) {
			a = median(mkey[m] SUBSEP ra[i]); b = median(mkey[m] SUBSEP rb[i])
			printf " %s |", (a != "" && b != "" && b + 0 != 0) ? sprintf("%.2f", a / b) : "-"
		}
		printf "\n"
	}
	if (ni) {
		printf "\n| |"
		for (i = 1; i <= ns; i++) printf " %s |", side[i]
		printf "\n|---|"
		for (i = 1; i <= ns; i++) printf "---|"
		printf "\n"
		for (j = 1; j <= ni; j++) {
			lab = ikey[j]; gsub(/_/, " ", lab)
			printf "| %s |", lab
			for (i = 1; i <= ns; i++) printf " %s |", ((ikey[j], side[i]) in info) ? info[ikey[j], side[i]] : "-"
			printf "\n"
		}
	}
	if (nn) {
		printf "\n"
		for (j = 1; j <= nn; j++) {
			split(nkey[j], w, " ")
			t = substr(nkey[j], length(w[1]) + length(w[2]) + 3)
			if (search)
				printf "- %s%s: %s\n", w[1] == "fail" ? "FAILED: " : "", w[2], t
			else
				printf "- %s%s, round%s %s: %s\n", w[1] == "fail" ? "FAILED: " : "", w[2],
					index(nrounds[nkey[j]], " ") ? "s" : "", ranges(nrounds[nkey[j]]), t
		}
	}
}
