# shellcheck shell=bash disable=SC2034
# Host side of the manifest (sourced by suite.sh and run.sh; needs common.sh).
#
# xt_plan MANIFEST RUNDIR [NAME...]
#   Parses MANIFEST (format: tests/xen/README.md), keeps the guests named (all if none),
#   and lays out RUNDIR/tree/xt/ for dom0: plan (the normalised manifest the dom0 runner
#   reads), cfg/NAME.cfg (xl configs), k/ (kernels, ramdisks) and runner.sh.
#   Sets the arrays XT_GUESTS (names, in order), and the maps XT_STATUS[name] (empty, or
#   SKIP/FAIL when decided here), XT_WHY[name], XT_TIMEOUT[name].
#
# Every guest's xl config starts from these defaults; an "xl KEY = ..." line replaces the
# default of the same KEY, "noxl KEY" removes it:
#   name type="pvh" kernel memory=32 vcpus=1 cpuid="host,rdtscp=0"
#   on_poweroff/on_reboot/on_crash="destroy" (on_reboot="restart" with "reboots N")
# cpuid: RDTSCP trapped by Xen under QEMU's emulated SVM is mis-decoded and kills the
# domain, so guests never see it.

declare -a XT_GUESTS=()
declare -A XT_STATUS=() XT_WHY=() XT_TIMEOUT=()

# size_bytes 8M -> 8388608 (suffixes K M G, powers of 1024)
xt_size_bytes() {
	local n=${1%[KMGkmg]} s=${1##*[0-9]}
	[[ $n =~ ^[0-9]+$ ]] || return 1
	case ${s^^} in
	'') echo "$n" ;; K) echo $((n << 10)) ;; M) echo $((n << 20)) ;; G) echo $((n << 30)) ;;
	*) return 1 ;;
	esac
}

xt_plan() {
	local manifest=$1 rundir=$2; shift 2
	local -A want=()
	local n
	for n; do want[$n]=1; done
	local tree=$rundir/tree/xt
	rm -rf "$rundir/tree"
	mkdir -p "$tree/cfg" "$tree/k"
	cp "$XT_TOOLS/runner.sh" "$tree/runner.sh"
	chmod 755 "$tree/runner.sh"
	: >"$tree/plan"

	local lineno=0 key rest name="" in_block=0
	local -a keys=() steps=() disks=()
	local -A cfg=()
	local kernel ramdisk timeout expect reboots skip start

	err() { xt_die "$manifest:$lineno: $*"; }
	# host file for a manifest path: @linux names are the harness's own Linux peer
	hostfile() {
		case $1 in
		@linux) echo "$XT_BUILD/linux/vmlinux" ;;
		@linux-initrd) echo "$XT_BUILD/linux/initrd.cpio.gz" ;;
		/*) echo "$1" ;;
		*) echo "$XT_ROOT/$1" ;;
		esac
	}
	# copy a kernel/ramdisk in once, return its dom0 path
	stage_file() {
		local src dst
		src=$(hostfile "$1")
		dst=k/$(printf '%s' "${1#@}" | tr -c 'A-Za-z0-9._-' '_')
		[[ -e $tree/$dst ]] || ln "$src" "$tree/$dst" 2>/dev/null || cp "$src" "$tree/$dst"
		echo "/xt/$dst"
	}
	setcfg() {  # setcfg KEY VALUE
		[[ -n ${cfg[$1]+x} ]] || keys+=("$1")
		cfg[$1]=$2
	}
	# start virsh: the guest's libvirt domain XML, cfg/NAME.xml. "virsh FILE": FILE
	# with its <name>, <kernel> (and <initrd>) set to the guest's; "virsh" alone:
	# tools/xlcfg's translation of the guest's xl config.
	virsh_xml() {
		local xml=$tree/cfg/$name.xml src k r
		if [[ $start == virsh ]]; then
			"$XT_ROOT/tools/xlcfg" libvirt "$tree/cfg/$name.cfg" >"$xml" ||
				err "guest $name: tools/xlcfg libvirt could not convert its xl config"
			return 0
		fi
		src=$(hostfile "${start#virsh }")
		[[ -f $src ]] || err "guest $name: no domain XML $src"
		k=$(stage_file "$kernel")
		r=""
		[[ -z $ramdisk ]] || r=$(stage_file "$ramdisk")
		sed -e "0,/<name>[^<]*<\/name>/s||<name>$name</name>|" \
			-e "s|<kernel>[^<]*</kernel>|<kernel>$k</kernel>|" \
			-e "s|<initrd>[^<]*</initrd>|<initrd>$r</initrd>|" "$src" >"$xml"
		grep -q "<name>$name</name>" "$xml" && grep -q "<kernel>$k</kernel>" "$xml" ||
			err "guest $name: $src needs a <name> and a <kernel> element, each on one line"
	}
	open_block() {
		name=$1 in_block=1 kernel="" ramdisk="" timeout=30 expect=poweroff reboots=0 skip="" start=xl
		keys=() steps=() disks=() cfg=()
		setcfg name "\"$name\""
		setcfg type '"pvh"'
		setcfg kernel ''
		setcfg memory 32
		setcfg vcpus 1
		setcfg cpuid '"host,rdtscp=0"'
		setcfg on_poweroff '"destroy"'
		setcfg on_reboot '"destroy"'
		setcfg on_crash '"destroy"'
	}
	close_block() {
		((in_block)) || return 0
		in_block=0
		[[ -n $kernel ]] || err "guest $name has no kernel line"
		((${#want[@]} == 0)) || [[ -n ${want[$name]:-} ]] || return 0
		XT_GUESTS+=("$name")
		XT_TIMEOUT[$name]=$timeout
		if [[ -n $skip ]]; then
			XT_STATUS[$name]=SKIP XT_WHY[$name]=$skip
			return 0
		fi
		local f
		for f in "$kernel" $ramdisk; do
			if [[ ! -f $(hostfile "$f") ]]; then
				if [[ -n ${XT_SKIP_MISSING:-} ]]; then
					XT_STATUS[$name]=SKIP XT_WHY[$name]="$f not built"
				else
					XT_STATUS[$name]=FAIL XT_WHY[$name]="$f missing (not built?)"
				fi
				return 0
			fi
		done
		[[ ${cfg[kernel]+x} && -z ${cfg[kernel]} ]] && cfg[kernel]="\"$(stage_file "$kernel")\""
		[[ -n $ramdisk ]] && setcfg ramdisk "\"$(stage_file "$ramdisk")\""
		((reboots > 0)) && setcfg on_reboot '"restart"'
		if ((${#disks[@]})); then
			local d v list=""
			for d in "${disks[@]}"; do
				read -r v _ <<<"$d"
				list+="${list:+, }\"format=raw,vdev=$v,access=rw,target=/tmp/disks/$name-$v.img\""
			done
			[[ -n ${cfg[disk]+x} ]] || setcfg disk "[$list]"
		fi
		local k
		for k in "${keys[@]}"; do
			[[ -n ${cfg[$k]+x} ]] && printf '%s = %s\n' "$k" "${cfg[$k]}"
		done >"$tree/cfg/$name.cfg"
		[[ $start == xl ]] || virsh_xml
		{
			echo "guest $name"
			echo "timeout $timeout"
			echo "expect $expect"
			echo "reboots $reboots"
			for d in "${disks[@]}"; do echo "disk $d"; done
			[[ $start == xl ]] || echo "start virsh /xt/cfg/$name.xml"
			((${#steps[@]})) && printf '%s\n' "${steps[@]}"
			echo end
		} >>"$tree/plan"
	}

	[[ -f $manifest ]] || xt_die "manifest $manifest not found"
	local -A names=()
	while IFS= read -r line || [[ -n $line ]]; do
		lineno=$((lineno + 1))
		line=${line#"${line%%[![:space:]]*}"}   # leading blanks
		[[ -z $line || $line == '#'* ]] && continue
		read -r key rest <<<"$line"
		if [[ $key != guest ]] && ((!in_block)); then err "'$key' outside a guest block"; fi
		case $key in
		guest)
			close_block
			[[ $rest =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || err "bad guest name '$rest'"
			[[ -z ${names[$rest]:-} ]] || err "guest '$rest' defined twice"
			names[$rest]=1
			open_block "$rest" ;;
		end) close_block ;;
		kernel) kernel=$rest ;;
		ramdisk) ramdisk=$rest ;;
		xl)
			[[ $rest =~ ^([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] ||
				err "xl line must be 'xl KEY = VALUE'"
			setcfg "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" ;;
		noxl) unset "cfg[$rest]" ;;
		cmdline)
			[[ $rest != *'"'* ]] || err "cmdline must not contain '\"' (use an xl line)"
			setcfg cmdline "\"$rest\"" ;;
		timeout)
			[[ $rest =~ ^[0-9]+$ ]] || err "timeout wants whole seconds"
			timeout=$rest ;;
		expect)
			case $rest in
			poweroff | reboot | crash | suspend | watchdog | running) expect=$rest ;;
			*) err "expect: one of poweroff reboot crash suspend watchdog running" ;;
			esac ;;
		reboots)
			[[ $rest =~ ^[0-9]+$ ]] || err "reboots wants a count"
			reboots=$rest ;;
		disk)
			local v s fill bytes
			read -r v s fill _ <<<"$rest"
			[[ $v =~ ^[a-z][a-z0-9]*$ ]] || err "disk: bad device name '$v'"
			bytes=$(xt_size_bytes "$s") || err "disk: bad size '$s'"
			case ${fill:=zero} in zero | pattern) ;; *) err "disk: fill is zero or pattern" ;; esac
			disks+=("$v $bytes $fill") ;;
		wait | run | after | cleanup | marker | absent)
			[[ -n $rest ]] || err "$key needs an argument"
			steps+=("$key $rest") ;;
		save | restore | restore-paused | checkpoint | migrate)
			[[ -z $rest ]] || err "$key takes no argument"
			steps+=("$key") ;;
		migrate-fail)
			[[ -n $rest ]] || err "migrate-fail needs the receiving command"
			steps+=("$key $rest") ;;
		skip) skip=${rest:-skipped} ;;
		paused) steps+=("paused 1") ;;
		start)
			case $rest in
			xl | virsh) start=$rest ;;
			"virsh "*) start=$rest ;;
			*) err "start: 'xl' (the default), 'virsh' or 'virsh XMLFILE'" ;;
			esac ;;
		tool)
			local src
			src=$(hostfile "$rest")
			[[ -f $src ]] || err "tool $rest is not built"
			mkdir -p "$tree/bin"
			cp "$src" "$tree/bin/$(basename "$rest")" ;;
		*) err "unknown directive '$key'" ;;
		esac
	done <"$manifest"
	close_block
	for n in "${!want[@]}"; do
		[[ -n ${names[$n]:-} ]] || xt_die "no guest '$n' in $manifest"
	done
	return 0
}

# xt_pack RUNDIR -> RUNDIR/run.cpio.gz, the archive appended to dom0's initramfs; with
# libvirt's archive in front when a guest starts with virsh (concatenated gzip'd cpio
# archives: the kernel unpacks them in turn).
xt_pack() {
	{
		if grep -q '^start virsh ' "$1/tree/xt/plan"; then cat "$XT_BUILD/libvirt.cpio.gz"; fi
		(cd "$1/tree" && find . -mindepth 1 | LC_ALL=C sort |
			"$XT_STAGE/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -1
	} >"$1/run.cpio.gz"
}
