#!/bin/sh
# dom0 side of bench/memory.sh (busybox sh): for each app, bisect the smallest memory=
# (MiB) it boots in and does its job, one xlrun (bench/dom0/xlrun.c) per try, with
# /xt/bin/mem-APP.cfg and memory=MIB on xl's command line. Prints
#   TRY APP MIB <xlrun's line>      each boot
#   PAGES APP <console line>        the guest's "memory: pages ..." at the size found
#   RESULT APP MIB confirmed|flaky|none TRIES
#
#   memsearch.sh MAX APP...         (memsearch.sh job APP: the dom0 half of APP's job,
#                                    which xlrun runs once the app says it is ready)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin

# The dom0 half of each job; it ends the domain (xl shutdown) whatever the outcome.
job() {
	case $1 in
	echo)
		ping -c 2 -W 3 169.254.3.5 >/dev/null &&
			bash -c 'exec 3<>/dev/tcp/169.254.3.5/7 && echo bench-echo >&3 && read -r -t 10 l <&3 && [ "$l" = bench-echo ]'
		;;
	httpd)
		want=$(yes xenolith | head -c 1048576 | sha256sum | cut -c1-64)
		wget -q -O - http://169.254.3.6/ | grep -q 'Hello from xenolith' &&
			got=$(wget -q -O - http://169.254.3.6/bytes/1048576 | sha256sum | cut -c1-64) &&
			[ "$got" = "$want" ]
		;;
	blkstore) xl reboot mem-blkstore >/dev/null 2>&1; return ;;
	esac
	rc=$?
	xl shutdown "mem-$1" >/dev/null 2>&1
	return $rc
}
if [ "$1" = job ]; then
	job "$2"
	exit
fi

# try APP MIB [pages]: one boot; 0 if the app did its job
try() {
	app=$1 mib=$2
	tries=$((tries + 1))
	case $app in
	hello) set -- -t 30 -r 'malloc: 10000 allocations ok' -r 'xenolith: exit 0' ;;
	echo) set -- -t 60 -m 'echo: ready' -x '/xt/bin/memsearch.sh job echo' ;;
	httpd) set -- -t 60 -m 'httpd: listening on port 80' -x '/xt/bin/memsearch.sh job httpd' ;;
	blkstore)
		mkdir -p /tmp/disks
		rm -f /tmp/disks/mem-blkstore.img
		truncate -s 16M /tmp/disks/mem-blkstore.img
		set -- -t 90 -m 'blkstore: boot 1 writing' -x '/xt/bin/memsearch.sh job blkstore' \
			-r 'blkstore: formatted a new store' -r 'blkstore: boot 2 verified' \
			-r 'blkstore: done after 2 boots' ;;
	esac
	/xt/bin/xlrun "$@" -s 'memory: pages' "mem-$app" "/xt/bin/mem-$app.cfg" "memory=$mib" >/tmp/mem.out
	_rc=$?
	sed -n "1s/^/TRY $app $mib /p" /tmp/mem.out
	[ "$3" = pages ] && sed -n "s/^console /PAGES $app console /p" /tmp/mem.out
	sleep 1 # let the backends' clean-up finish before the next create
	return $_rc
}

max=$1
shift
for app; do
	tries=0
	if ! try "$app" "$max"; then
		echo "RESULT $app $max none $tries"
		continue
	fi
	lo=0 hi=$max # hi works; lo fails (0: never tried)
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if try "$app" $mid; then hi=$mid; else lo=$mid; fi
	done
	if try "$app" $hi pages; then
		echo "RESULT $app $hi confirmed $tries"
	else
		echo "RESULT $app $hi flaky $tries"
	fi
done
