#!/usr/bin/env bash
# Tests of tools/xlcfg: generation (exact output, command lines that must
# round-trip), argument validation, check and upgrade of legacy configs,
# and get. Prints one line per case (PASS/FAIL name) and ends with
# "xlcfg: N passed, N failed" (", N skipped" when a tool some cases need is
# missing: each case not run counts); exits non-zero on a failure.
#
# Where the host has them, more cases run:
#  - libxlutil (libxen-dev, which make deps installs): a 20-line C helper
#    reads the files with Xen 4.17's own config parser, the one xl uses,
#    so round trips and syntax verdicts are checked against xl itself;
#  - busybox (or $BUSYBOX, or the nested harness's build/xen/root/bin/
#    busybox): the tool runs under busybox sh + awk as in a dom0 and must
#    print the same bytes as under dash + mawk;
#  - shellcheck, virt-xml-validate (libvirt-clients) or xmllint.
set -u
cd "$(dirname "$0")/../.." || exit 2

XLCFG=${XLCFG:-tools/xlcfg}
CFG=examples/configs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
skipped=0

ok() {
    echo "PASS $1"
    pass=$((pass + 1))
}

# bad NAME [DETAIL LINE...]
bad() {
    echo "FAIL $1"
    shift
    local l
    for l in "$@"; do printf '    %s\n' "$l"; done
    fail=$((fail + 1))
}

# skip N WHY: N cases not run, and why.
skip() {
    echo "SKIP $1 case(s): $2"
    skipped=$((skipped + $1))
}

# run CMD...: stdout in $tmp/out, stderr in $tmp/err, status in $rc.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# expect NAME RC EXPECTED-STDOUT CMD...: exact stdout and status.
expect() {
    local name=$1 want_rc=$2 want=$3
    shift 3
    run "$@"
    printf '%s' "$want" >"$tmp/want"
    if [ "$rc" -ne "$want_rc" ]; then
        bad "$name" "exit $rc, wanted $want_rc" "$(head -c 600 "$tmp/err")"
    elif ! cmp -s "$tmp/out" "$tmp/want"; then
        bad "$name" "stdout differs:" "$(diff "$tmp/want" "$tmp/out" | head -n 20)"
    else
        ok "$name"
    fi
}

# expect_err NAME RC EXPECTED-STDERR CMD...: exact stderr and status.
expect_err() {
    local name=$1 want_rc=$2 want=$3
    shift 3
    run "$@"
    printf '%s' "$want" >"$tmp/want"
    if [ "$rc" -ne "$want_rc" ]; then
        bad "$name" "exit $rc, wanted $want_rc" "$(head -c 600 "$tmp/err")"
    elif ! cmp -s "$tmp/err" "$tmp/want"; then
        bad "$name" "stderr differs:" "$(diff "$tmp/want" "$tmp/err" | head -n 20)"
    else
        ok "$name"
    fi
}

# Writes $2 (printf %b) to file $1 in $tmp and prints its path.
fixture() {
    printf '%b' "$2" >"$tmp/$1"
    printf '%s' "$tmp/$1"
}

# tool_get FILE KEY: sets $got to KEY's value as the tool reads it, exactly
# (get adds one newline; a command substitution alone would eat them all).
tool_get() {
    got=$("$XLCFG" get "$1" "$2"; echo x)
    got=${got%x}
    got=${got%$'\n'}
}

# ------------------------------------------------------------ the xl oracle
ORACLE=''
if [ -r /usr/include/libxlutil.h ] && command -v cc >/dev/null; then
    cat >"$tmp/oracle.c" <<'EOF'
/* oracle FILE KEY: reads FILE with libxlutil (xl's own parser) and prints
 * KEY's string value exactly; exit 2 if xl would reject the file, 1 if
 * KEY is unset or not a string. */
#include <stdio.h>
#include <libxlutil.h>
int main(int argc, char **argv)
{
    const char *s;
    XLU_Config *c;

    if (argc != 3) return 3;
    c = xlu_cfg_init(stderr, argv[1]);
    if (!c || xlu_cfg_readfile(c, argv[1])) return 2;
    if (xlu_cfg_get_string(c, argv[2], &s, 1)) return 1;
    fputs(s, stdout);
    return 0;
}
EOF
    if cc -o "$tmp/oracle" "$tmp/oracle.c" -lxlutil 2>"$tmp/cc.err"; then
        ORACLE=$tmp/oracle
    fi
fi

# ------------------------------------------------------------ gen

expect "gen: minimal" 0 '# xenolith PVH guest (tools/xlcfg gen); boot with: xl create -c FILE
name = "hello"
type = "pvh"
kernel = "/srv/xenolith/hello.elf"
memory = 32
vcpus = 1
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "destroy"
' "$XLCFG" gen --kernel /srv/xenolith/hello.elf

expect "gen: every option" 0 '# xenolith PVH guest (tools/xlcfg gen); boot with: xl create -c FILE
name = "web-1.a_b"
type = "pvh"
kernel = "/srv/httpd.elf"
memory = 128
vcpus = 2
maxvcpus = 4
vif = [
    "bridge=xenbr0",
    "bridge=xenbr1,mac=00:16:3e:0a:0B:0c",
]
disk = [
    "format=raw,vdev=xvda,access=rw,target=/srv/a.img",
    "format=raw,vdev=xvdc,access=ro,target=/srv/c.img",
    "format=raw,vdev=xvdb,access=rw,target=/srv/b b.img",
]
cmdline = "port=80 -- \"a b\""
# Xen under emulated SVM mis-decodes a trapped RDTSCP: hide it.
cpuid = "host,rdtscp=0"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "destroy"
' "$XLCFG" gen --kernel /srv/httpd.elf --name web-1.a_b --memory 128 --vcpus 2 \
    --maxvcpus 4 --vif xenbr0 --vif bridge=xenbr1,mac=00:16:3e:0a:0B:0c \
    --disk /srv/a.img --disk format=raw,vdev=xvdc,access=ro,target=/srv/c.img \
    --disk '/srv/b b.img' --cmdline 'port=80 -- "a b"' --nested

expect "gen: one vif and one disk on one line each" 0 '# xenolith PVH guest (tools/xlcfg gen); boot with: xl create -c FILE
name = "n"
type = "pvh"
kernel = "/k.elf"
memory = 4
vcpus = 128
vif = [ "bridge=xenbr0,mac=00:16:3e:00:00:01" ]
disk = [ "format=raw,vdev=xvda,access=rw,target=/tmp/d.img" ]
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "destroy"
' "$XLCFG" gen --kernel /k.elf --name n --memory 4 --vcpus 128 \
    --vif bridge=xenbr0,mac=00:16:3e:00:00:01 --disk /tmp/d.img

expect "gen: leading zeros are decimal" 0 'memory = 64
vcpus = 8
' sh -c "\"$XLCFG\" gen --kernel /k.elf --memory 0064 --vcpus 08 | grep -E '^(memory|vcpus) '"

expect_err "gen: relative kernel path warns" 0 'xlcfg: warning: kernel path "build/hello.elf" is relative: xl opens it from the directory where xl create runs
' "$XLCFG" gen --kernel build/hello.elf

expect "gen: generated configs pass check" 0 "xlcfg: $tmp/g.cfg: ok
" sh -c "\"$XLCFG\" gen --kernel /k.elf --vcpus 3 --maxvcpus 3 --vif xenbr0 --disk /d --cmdline 'a b' --nested >'$tmp/g.cfg' && \"$XLCFG\" check --nested '$tmp/g.cfg'"

c_tricky=$'tab\t nl\n "dq" \x27sq\x27 \\bs \\" end\\'

# Command lines that must come back exactly, through the tool's parser
# and (when available) through xl's own.
# shellcheck disable=SC1003,SC2016 # backslashes and $ are meant literally
cmdlines=(
    'hello world'
    ''
    '  leading and trailing  '
    'a "b c" d'
    "it's"
    "'single quoted' words"
    'back\slash'
    'trailing backslash\'
    '\"'
    '\\\\'
    '\x41 \101 \n \t (literal backslash sequences)'
    $'tab\there'
    $'new\nline\n'
    $'\n'
    $'carriage\rreturn'
    $'bell\a bs\b ff\f vt\v'
    $'ctrl\001\002\037 del\177'
    '#not a comment'
    'semi; colon = [ list, ] "x" # y'
    '$HOME `id` $(id) *'
    'xenolith.debugcon=1 xenolith.evtchn=2level -- --flag x=y,z'
    'é ü ß — 日本'
    "mixed \"double\" and 'single' and \\\" and \\'"
)
i=0
for c in "${cmdlines[@]}"; do
    i=$((i + 1))
    name="gen: cmdline round trip $i $(printf '%q' "$c" | head -c 40)"
    if ! "$XLCFG" gen --kernel /k.elf --cmdline "$c" >"$tmp/rt.cfg" 2>"$tmp/err"; then
        bad "$name" "gen failed: $(cat "$tmp/err")"
        continue
    fi
    tool_get "$tmp/rt.cfg" cmdline
    if [ "$got" != "$c" ]; then
        bad "$name" "xlcfg get: $(printf '%q' "$got")"
        continue
    fi
    if ! "$XLCFG" check "$tmp/rt.cfg" >"$tmp/out"; then
        bad "$name" "check: $(cat "$tmp/out")"
        continue
    fi
    if [ -n "$ORACLE" ]; then
        got=$("$ORACLE" "$tmp/rt.cfg" cmdline 2>"$tmp/err"; echo x)
        got=${got%x}
        if [ "$got" != "$c" ]; then
            bad "$name" "xl (libxlutil) reads: $(printf '%q' "$got")" "$(cat "$tmp/err")"
            continue
        fi
    fi
    ok "$name"
done

name="gen: kernel, name and specs with quotes and backslashes round-trip"
k='/srv/a "quoted" \dir/it'\''s.elf'
d='format=raw,vdev=xvda,access=rw,target=/srv/x"y\z.img'
if "$XLCFG" gen --kernel "$k" --name q --disk "$d" >"$tmp/q.cfg" 2>/dev/null &&
    tool_get "$tmp/q.cfg" kernel && [ "$got" = "$k" ] &&
    tool_get "$tmp/q.cfg" disk && [ "$got" = "$d" ] &&
    { [ -z "$ORACLE" ] || [ "$("$ORACLE" "$tmp/q.cfg" kernel)" = "$k" ]; }; then
    ok "$name"
else
    bad "$name" "$(cat "$tmp/q.cfg")"
fi

# ------------------------------------------------------------ gen: errors
# gen_err NAME MESSAGE ARGS...: exit 2, exact message, nothing on stdout.
gen_err() {
    local name=$1 msg=$2
    shift 2
    run "$XLCFG" gen "$@"
    if [ "$rc" -eq 2 ] && [ "$(cat "$tmp/err")" = "xlcfg: $msg" ] && [ ! -s "$tmp/out" ]; then
        ok "gen rejects: $name"
    else
        bad "gen rejects: $name" "exit $rc" "stderr: $(cat "$tmp/err")" "stdout: $(head -c 200 "$tmp/out")"
    fi
}
gen_err "no kernel" "gen: --kernel PATH is required" --memory 32
gen_err "memory below 4" "--memory 3: must be at least 4" --kernel /k --memory 3
gen_err "memory not a number" "--memory 32M: not a whole number" --kernel /k --memory 32M
gen_err "negative memory" "--memory -1: not a whole number" --kernel /k --memory -1
gen_err "huge memory" "--memory 99999999999: too large" --kernel /k --memory 99999999999
gen_err "vcpus 0" "--vcpus 0: must be from 1 to 128" --kernel /k --vcpus 0
gen_err "vcpus 129" "--vcpus 129: must be from 1 to 128" --kernel /k --vcpus 129
gen_err "maxvcpus 200" "--maxvcpus 200: must be from 1 to 128" --kernel /k --maxvcpus 200
gen_err "maxvcpus below vcpus" "gen: --maxvcpus 2 is below --vcpus 4" --kernel /k --vcpus 4 --maxvcpus 2
gen_err "name with a space" 'gen: --name "a b": use letters, digits, _ . - (first a letter or digit), at most 64' --kernel /k --name 'a b'
gen_err "name starting with -" 'gen: --name "-x": use letters, digits, _ . - (first a letter or digit), at most 64' --kernel /k --name -x
gen_err "name with a quote" 'gen: --name "a"b": use letters, digits, _ . - (first a letter or digit), at most 64' --kernel /k --name 'a"b'
gen_err "name of 65 characters" "gen: --name \"$(printf 'n%.0s' $(seq 65))\": use letters, digits, _ . - (first a letter or digit), at most 64" --kernel /k --name "$(printf 'n%.0s' $(seq 65))"
gen_err "no name from the kernel" 'gen: cannot make a domain name of "my app"; give --name' --kernel '/srv/my app.elf'
gen_err "unknown option" "gen: unknown option --mem (see xlcfg --help)" --kernel /k --mem 32
gen_err "option without value" "gen: --vcpus needs a value" --kernel /k --vcpus
gen_err "cmdline twice" "gen: --cmdline given twice (put every word in one string)" --kernel /k --cmdline a --cmdline b
gen_err "bad mac" "gen: --vif bridge=xenbr0,mac=00:16:3e:00:00:: mac=00:16:3e:00:00: is not six hex pairs (e.g. 00:16:3e:12:34:56)" --kernel /k --vif bridge=xenbr0,mac=00:16:3e:00:00:
gen_err "empty vif" "gen: --vif needs a spec, e.g. bridge=xenbr0" --kernel /k --vif ''
gen_err "a vdev twice" "gen: vdev xvda is used by two disks" --kernel /k --disk vdev=xvda,target=/a --disk format=raw,vdev=xvda,target=/b
expect_err "no command" 2 "$("$XLCFG" --help)
" "$XLCFG"

# ------------------------------------------------------------ check
for f in hello net blk smp; do
    expect "check: examples/configs/$f.cfg is clean" 0 "xlcfg: $CFG/$f.cfg: ok
" "$XLCFG" check "$CFG/$f.cfg"
done

expect "check: examples/configs/legacy-pvh1.cfg" 1 "xlcfg: $CFG/legacy-pvh1.cfg:8: error: pvh = 1 without type — the PVHv1 switch was removed in Xen 4.9 and xl 4.17 ignores it, so this builds a PV domain; xenolith then only prints that it needs type=\"pvh\" and ends as crashed — replace it with type = \"pvh\"
xlcfg: $CFG/legacy-pvh1.cfg:9: error: builder = \"generic\" builds a PV domain — builder is deprecated since Xen 4.10 and cannot say PVH; xenolith on a PV boot only says it needs type=\"pvh\" and ends as crashed — remove it (type = \"pvh\" replaces it)
xlcfg: $CFG/legacy-pvh1.cfg:10: warning: acpi = 1 — no effect on an x86 PVH guest: libxl 4.17 always builds its ACPI tables (the MADT lists the VCPUs xenolith starts) — remove it
xlcfg: $CFG/legacy-pvh1.cfg:11: warning: apic = 1 — read only for HVM guests; a PVH guest always has its local APIC (libxl sets XEN_X86_EMU_LAPIC) — remove it
xlcfg: $CFG/legacy-pvh1.cfg:12: warning: vnc = 0 — xl 4.17 reads it only for HVM guests (emulated hardware, firmware or device model); it does nothing for PVH — remove it
xlcfg: $CFG/legacy-pvh1.cfg:13: warning: serial = \"pty\" — an emulated UART exists only for HVM guests; a PVH guest has the PV console (xl console NAME) — remove it
xlcfg: $CFG/legacy-pvh1.cfg:14: warning: boot = \"c\" — the HVM firmware boot order (c, d, n); a PVH guest starts its kernel= directly — remove it
xlcfg: $CFG/legacy-pvh1.cfg:15: warning: device_model = \"/usr/lib/xen/bin/qemu-dm\" — xl 4.17 ignores it (\"WARNING: ignoring device_model directive\") — remove it
xlcfg: $CFG/legacy-pvh1.cfg: 2 errors, 6 warnings
" "$XLCFG" check "$CFG/legacy-pvh1.cfg"

# check_case NAME RC CONFIG(printf %b) EXPECTED-LINES...: the expected
# lines are the report without the "xlcfg: FILE:" prefix.
check_case() {
    local name=$1 want_rc=$2 body=$3 f l want=''
    shift 3
    f=$(fixture c.cfg "$body")
    for l in "$@"; do want="${want}xlcfg: $f$l"$'\n'; done
    expect "check: $name" "$want_rc" "$want" "$XLCFG" check ${NESTED:+--nested} "$f"
}
H='name = "g"\nkernel = "/k.elf"\n'
P='name = "g"\ntype = "pvh"\nkernel = "/k.elf"\n'

check_case "pvh = 1 alone" 1 "${H}pvh = 1\n" \
    ':3: error: pvh = 1 without type — the PVHv1 switch was removed in Xen 4.9 and xl 4.17 ignores it, so this builds a PV domain; xenolith then only prints that it needs type="pvh" and ends as crashed — replace it with type = "pvh"' \
    ': 1 error, 0 warnings'
check_case 'pvh = "1" (a string)' 1 "${H}pvh = \"1\"\n" \
    ':3: error: pvh = "1" without type — the PVHv1 switch was removed in Xen 4.9 and xl 4.17 ignores it, so this builds a PV domain; xenolith then only prints that it needs type="pvh" and ends as crashed — replace it with type = "pvh"' \
    ': 1 error, 0 warnings'
check_case "pvh = True (xm spelling)" 1 "${H}pvh = True\n" \
    ':3: error: bare word True — xl 4.17 has no boolean words: booleans are numbers (lexical error) — write 1' \
    ':3: error: pvh = True without type — the PVHv1 switch was removed in Xen 4.9 and xl 4.17 ignores it, so this builds a PV domain; xenolith then only prints that it needs type="pvh" and ends as crashed — replace it with type = "pvh"' \
    ': 2 errors, 0 warnings'
check_case "pvh = 0 without type" 1 "${H}pvh = 0\n" \
    ':3: error: pvh = 0 without type — the PVHv1 switch was removed in Xen 4.9 and xl 4.17 ignores it; without type= xl builds a PV domain, which xenolith cannot run — replace it with type = "pvh"' \
    ': 1 error, 0 warnings'
check_case "pvh = 1 next to type = pvh" 0 "${P}pvh = 1\n" \
    ':4: warning: pvh = 1 — the PVHv1 switch, removed in Xen 4.9; xl 4.17 ignores it — remove it (type= decides)' \
    ': 0 errors, 1 warning'
check_case "no type at all" 1 "$H" \
    ':1: error: no type — without type= xl 4.17 builds a PV domain (the x86 default); xenolith then only prints that it needs type="pvh" and ends as crashed — add type = "pvh"' \
    ': 1 error, 0 warnings'
check_case 'builder = "hvm"' 1 "${H}builder = \"hvm\"\n" \
    ':3: error: builder = "hvm" builds an HVM domain — builder is deprecated since Xen 4.10 and can only say PV (generic) or HVM; a PVH kernel such as xenolith needs type="pvh" — replace it with type = "pvh"' \
    ': 1 error, 0 warnings'
check_case 'builder next to type = "pvh"' 1 "${P}builder = 'hvm'\n" \
    ':4: error: builder = "hvm" next to type = "pvh" — xl 4.17 stops: builder can only mean PV or HVM ("Contradicting builder and type options specified" or "Invalid domain type") — remove builder' \
    ': 1 error, 0 warnings'
check_case 'type = "hvm"' 1 "${H}type = \"hvm\"\n" \
    ':3: error: type = "hvm" is HVM — an HVM domain is an emulated PC (firmware, QEMU device model); xenolith is a PVH kernel and is built and tested only as one — write type = "pvh"' \
    ': 1 error, 0 warnings'
check_case 'type = "p" (xl reads a prefix of pv)' 1 "${H}type = \"p\"\n" \
    ':3: error: type = "p" is PV — xenolith only prints on a PV boot that it needs type="pvh" and ends as crashed — write type = "pvh"' \
    ': 1 error, 0 warnings'
check_case 'type = "" (xl reads HVM)' 1 "${H}type = \"\"\n" \
    ':3: error: type = "" is HVM — an HVM domain is an emulated PC (firmware, QEMU device model); xenolith is a PVH kernel and is built and tested only as one — write type = "pvh"' \
    ': 1 error, 0 warnings'
check_case 'type = "PVH" (case matters)' 1 "${H}type = \"PVH\"\n" \
    ':3: error: type = "PVH" — xl 4.17 knows pv, pvh and hvm and stops with "Invalid domain type" — write type = "pvh"' \
    ': 1 error, 0 warnings'
check_case "no kernel" 1 'name = "g"\ntype = "pvh"\n' \
    ':1: error: no kernel — xl 4.17 stops with "Neither kernel nor bootloader specified"; xenolith boots by direct kernel boot — add kernel = "/path/to/app.elf" (or run upgrade --kernel PATH)' \
    ': 1 error, 0 warnings'
check_case "bootloader = pygrub" 1 'name = "g"\ntype = "pvh"\nbootloader = "pygrub"\n' \
    ':1: error: no kernel — xenolith boots by direct kernel boot: its ELF is a file in dom0, not in the guest disk — add kernel = "/path/to/app.elf" (or run upgrade --kernel PATH)' \
    ':3: error: bootloader = "pygrub" — it runs a program such as pygrub to find a kernel inside the guest disk; xenolith is one ELF in dom0, booted directly — remove it and set kernel = "/path/to/app.elf"' \
    ': 2 errors, 0 warnings'
check_case "firmware" 1 "${P}firmware = \"pvgrub64\"\n" \
    ':4: error: firmware = "pvgrub64" — for PV and PVH, xl 4.17 turns it into kernel=pvgrub32/64 (PV GRUB) and stops if kernel= is also set; xenolith needs no firmware — remove it and keep kernel=' \
    ': 1 error, 0 warnings'
check_case "no name" 1 'type = "pvh"\nkernel = "/k"\n' \
    ':1: error: no name — xl 4.17 stops with "Domain name must be specified" — add name = "NAME"' \
    ': 1 error, 0 warnings'
check_case "memory, vcpus, maxvcpus out of range" 1 "${P}memory = 2\nvcpus = 200\nmaxvcpus = 0x80\n" \
    ':4: error: memory = 2 — xenolith needs at least 4 MB — write memory = 32 (or at least 4)' \
    ':5: error: vcpus = 200 — a PVH domain has 1 to 128 VCPUs (HVM_MAX_VCPUS in Xen 4.17) — write a number from 1 to 128' \
    ': 2 errors, 0 warnings'
check_case "maxvcpus below vcpus" 1 "${P}vcpus = \"4\"\nmaxvcpus = 2\n" \
    ':5: error: maxvcpus = 2 is below vcpus = 4 — the online VCPUs must fit in maxvcpus — raise maxvcpus or lower vcpus' \
    ': 1 error, 0 warnings'
check_case "memory = 0x20 and \"040\" are 32 to xl" 0 "${P}memory = 0x20\nmemory = \"040\"\n" \
    ':5: warning: memory is set again (first on line 4) — xl uses the last setting — keep one' \
    ': 0 errors, 1 warning'
check_case "on_crash = reboot" 1 "${P}on_crash = \"reboot\"\n" \
    ':4: error: on_crash = "reboot" — xl 4.17 stops with "Unknown on_crash action"; it knows destroy, restart, rename-restart, preserve, coredump-destroy, coredump-restart, soft-reset — use one of those, quoted' \
    ': 1 error, 0 warnings'
check_case "pci passthrough" 1 "${P}pci = [ \"01:00.0\" ]\n" \
    ':4: error: pci = [ "01:00.0" ] — libxl 4.17 refuses device passthrough for PVH ("passthrough not yet supported for x86 PVH guests"), and xenolith has no PCI driver — remove it' \
    ': 1 error, 0 warnings'
check_case "pvshim = 1" 1 "${P}pvshim = 1\n" \
    ':4: error: pvshim = 1 — runs the kernel as a PV guest inside the PV shim; xenolith is a PVH kernel — remove it' \
    ': 1 error, 0 warnings'
check_case "HVM-only, Arm-only and PV-only options" 0 "${P}pae = 1\nhpet = 0\nviridian = [ \"base\" ]\nusbdevice = \"tablet\"\nstdvga = 1\ngic_version = \"v3\"\ne820_host = 1\n" \
    ':4: warning: pae = 1 — read only for HVM guests; for PVH, PAE is always available (libxl_cpuid.c) — remove it' \
    ':5: warning: hpet = 0 — xl 4.17 reads it only for HVM guests (emulated hardware, firmware or device model); it does nothing for PVH — remove it' \
    ':6: warning: viridian = [ ... ] — xl 4.17 reads it only for HVM guests (emulated hardware, firmware or device model); it does nothing for PVH — remove it' \
    ':7: warning: usbdevice = "tablet" — xl 4.17 reads it only for HVM guests (emulated hardware, firmware or device model); it does nothing for PVH — remove it' \
    ':8: warning: stdvga = 1 — xl 4.17 reads it only for HVM guests (emulated hardware, firmware or device model); it does nothing for PVH — remove it' \
    ':9: warning: gic_version = "v3" — an Arm-only option; xenolith is x86_64 — remove it' \
    ':10: warning: e820_host = 1 — xl 4.17 reads it only for PV guests — remove it' \
    ': 0 errors, 7 warnings'
check_case "devices without a xenolith frontend, ramdisk, unknown options" 0 "${P}vfb = [ \"vnc=1\" ]\nramdisk = \"/i\"\nip = \"10.0.0.2\"\nvncviewer = 1\n" \
    ':4: warning: vfb — xenolith has no frontend for this device (only vif and disk); it stays unconnected — remove it unless the app brings a driver' \
    ':5: warning: ramdisk — xenolith does not read boot modules; the ramdisk only costs memory — remove it' \
    ':6: warning: ip — xl 4.17 does not read this option (misspelt, or from the old xm/xend toolstack) — remove or correct it' \
    ':7: warning: vncviewer — xl 4.17 ignores it (xl create -V starts a viewer); a PVH guest has no display anyway — remove it' \
    ': 0 errors, 4 warnings'
check_case "root and extra next to cmdline" 0 "${P}cmdline = \"a\"\nroot = \"/dev/xvda\"\nextra = \"b\"\n" \
    ':5: warning: root — ignored because cmdline is set (xl 4.17: "ignoring root= and extra= in favour of cmdline=") — remove it, or merge it into cmdline' \
    ':6: warning: extra — ignored because cmdline is set (xl 4.17: "ignoring root= and extra= in favour of cmdline=") — remove it, or merge it into cmdline' \
    ': 0 errors, 2 warnings'
check_case "bad vif mac in a config" 1 "${P}vif = [ 'mac=00:16:3e:1:2:3,bridge=xenbr0' ]\n" \
    ':4: error: vif "mac=00:16:3e:1:2:3,bridge=xenbr0": bad mac — a MAC address is six hex pairs, e.g. 00:16:3e:12:34:56 — fix the mac= value' \
    ': 1 error, 0 warnings'
NESTED=1 check_case "--nested: no cpuid" 1 "$P" \
    ':1: error: no cpuid — under emulated SVM, Xen mis-decodes a trapped RDTSCP and the domain dies (NESTED-XEN.md) — add cpuid = "host,rdtscp=0"' \
    ': 1 error, 0 warnings'
NESTED=1 check_case "--nested: cpuid without rdtscp=0" 1 "${P}cpuid = \"host,tm=0\"\n" \
    ':4: error: cpuid = "host,tm=0" leaves RDTSCP visible — under emulated SVM, Xen mis-decodes a trapped RDTSCP and the domain dies — add rdtscp=0 to it' \
    ': 1 error, 0 warnings'
NESTED=1 check_case "--nested: cpuid hides rdtscp" 0 "${P}cpuid = \"host,rdtscp=0,tm=0\"\n" ': ok'

# Syntax: what xl 4.17's parser rejects.
check_case "DOS line ends" 1 "${P//\\n/\\r\\n}" \
    ':1: error: carriage return at the end of the line (DOS line ends) — xl 4.17 reports a lexical error — convert the file (dos2unix, or tools/xlcfg upgrade)' \
    ': 1 error, 0 warnings'
check_case "comment on the last line without newline" 1 "${P}# end" \
    ':4: error: comment on the last line without a newline — xl 4.17 needs a newline after a comment (lexical error) — end the file with a newline' \
    ': 1 error, 0 warnings'
check_case "uppercase option name" 1 "${P}Memory = 32\n" \
    ':4: error: option name "Memory" — xl 4.17 reads only lowercase names ([a-z][a-z0-9._]*; lexical error) — write "memory"' \
    ': 1 error, 0 warnings'
check_case "invalid escape" 1 "${P}cmdline = \"a\\\\qb\"\n" \
    ':4: error: invalid escape \q in a string — xl 4.17 knows only \" '"\\'"' \\ \a \b \f \n \r \t \v (lexical error) — write \\ for a backslash' \
    ': 1 error, 0 warnings'
check_case "hex escape" 1 "${P}cmdline = \"\\\\x41\"\n" \
    ':4: error: hex escape \x in a string — xl 4.17 rejects every \x escape (invalid digit after backslash hex numerical character escape) — write the character itself' \
    ': 1 error, 0 warnings'
check_case "octal escape" 1 "${P}cmdline = \"\\\\101\"\n" \
    ':4: error: octal escape \1 in a string — xl 4.17 accepts it but drops the character (a bug in libxlutil) — write the character itself, or \n \t for newline and tab' \
    ': 1 error, 0 warnings'
check_case "unterminated string" 1 "${P}cmdline = \"a\nmemory = 32\n" \
    ':4: error: unterminated string — a quoted string must end on the line it starts (xl 4.17: lexical error) — close the quote; write \n for a newline inside a string' \
    ': 1 error, 0 warnings'
check_case "two settings without ;" 1 "${P}memory = 32 vcpus = 1\n" \
    ':4: error: syntax error at "vcpus" — xl 4.17 expects the end of the line (or ";") after the value of memory there — fix the line (see xl.cfg(5), SYNTAX)' \
    ': 1 error, 0 warnings'
check_case "negative number" 1 "${P}rtc_timeoffset = -3600\n" \
    ':4: error: "-3600" is not xl syntax — xl 4.17 reads only numbers, quoted strings and [ lists ]; arithmetic, negative numbers and Python (xm) code are lexical errors — quote the value or rewrite the line' \
    ': 1 error, 0 warnings'
check_case "number with a unit" 1 "${P}memory = 32M\n" \
    ':4: error: "32M" is not a number xl can read — xl 4.17 takes only plain decimal, 0octal or 0xhex numbers (lexical error) — write a plain number (memory is in MB) or quote the value' \
    ': 1 error, 0 warnings'
check_case "list without commas" 1 "${P}vif = [ \"a\" \"b\" ]\n" \
    ':4: error: syntax error at ""b"" — xl 4.17 expects "," or "]" in the list of vif there — fix the line (see xl.cfg(5), SYNTAX)' \
    ': 1 error, 0 warnings'
check_case "valid odd syntax: ; separators, comments in lists, trailing comma, += " 0 \
    'name = "g"; type = "pvh" ; kernel = "/k"\nvif = [ # first\n  "bridge=xenbr0",\n\n  # second\n  "bridge=xenbr1",\n]\ncmdline = "a"\ncmdline += " b"\n' ': ok'

expect "check: several files, worst status" 1 "xlcfg: $CFG/hello.cfg: ok
xlcfg: $tmp/c.cfg:1: error: no name — xl 4.17 stops with \"Domain name must be specified\" — add name = \"NAME\"
xlcfg: $tmp/c.cfg: 1 error, 0 warnings
" "$XLCFG" check "$CFG/hello.cfg" "$(fixture c.cfg 'type = "pvh"\nkernel = "/k"\n')"
expect_err "check: missing file" 2 "xlcfg: $tmp/none.cfg: cannot read the file
" "$XLCFG" check "$tmp/none.cfg"

# ------------------------------------------------------------ upgrade

# shellcheck disable=SC2016 # the backquotes are in the file
expect "upgrade: examples/configs/legacy-pvh1.cfg" 0 '# A config in the pre-Xen-4.9 PVHv1 spelling, with some HVM and xm-era
# leftovers: for `tools/xlcfg check` and `tools/xlcfg upgrade` to fix.
# Booted as is, xl 4.17 ignores pvh=1 and builds a PV domain.
name = "hello-legacy"
kernel = "build/hello.elf"
memory = 32
vcpus = 1
type = "pvh"
# xlcfg: removed builder: builder is deprecated since Xen 4.10 and cannot say PVH; xenolith on a PV boot only says it needs type="pvh" and ends as crashed
#builder = "generic"
# xlcfg: removed acpi: no effect on an x86 PVH guest: libxl 4.17 always builds its ACPI tables (the MADT lists the VCPUs xenolith starts)
#acpi = 1
# xlcfg: removed apic: read only for HVM guests; a PVH guest always has its local APIC (libxl sets XEN_X86_EMU_LAPIC)
#apic = 1
# xlcfg: removed vnc: xl 4.17 reads it only for HVM guests (emulated hardware, firmware or device model); it does nothing for PVH
#vnc = 0
# xlcfg: removed serial: an emulated UART exists only for HVM guests; a PVH guest has the PV console (xl console NAME)
#serial = "pty"
# xlcfg: removed boot: the HVM firmware boot order (c, d, n); a PVH guest starts its kernel= directly
#boot = "c"
# xlcfg: removed device_model: xl 4.17 ignores it ("WARNING: ignoring device_model directive")
#device_model = "/usr/lib/xen/bin/qemu-dm"
extra = "hello legacy"
on_crash = "destroy"
' "$XLCFG" upgrade "$CFG/legacy-pvh1.cfg"

expect_err "upgrade: notes on stderr" 0 "xlcfg: $CFG/legacy-pvh1.cfg:8: replaced pvh = 1 with type = \"pvh\"
xlcfg: $CFG/legacy-pvh1.cfg:9: commented out builder
xlcfg: $CFG/legacy-pvh1.cfg:10: commented out acpi
xlcfg: $CFG/legacy-pvh1.cfg:11: commented out apic
xlcfg: $CFG/legacy-pvh1.cfg:12: commented out vnc
xlcfg: $CFG/legacy-pvh1.cfg:13: commented out serial
xlcfg: $CFG/legacy-pvh1.cfg:14: commented out boot
xlcfg: $CFG/legacy-pvh1.cfg:15: commented out device_model
" "$XLCFG" upgrade "$CFG/legacy-pvh1.cfg"

# up_case NAME RC CONFIG(printf %b) EXPECTED-OUTPUT [UPGRADE OPTIONS...]
# The output must also pass check (when RC is 0), parse in xl (oracle),
# and upgrade again to itself.
up_case() {
    local name=$1 want_rc=$2 body=$3 want=$4 f
    shift 4
    f=$(fixture u.cfg "$body")
    expect "upgrade: $name" "$want_rc" "$want" "$XLCFG" upgrade "$@" "$f"
    [ "$rc" -eq "$want_rc" ] || return
    cp "$tmp/out" "$tmp/up.cfg"
    if [ "$want_rc" -eq 0 ] && ! "$XLCFG" check "$@" "$tmp/up.cfg" >"$tmp/chk" 2>&1; then
        # check takes --nested but not --kernel
        if ! "$XLCFG" check ${UPNESTED:+--nested} "$tmp/up.cfg" >"$tmp/chk" 2>&1; then
            bad "upgrade: $name: result passes check" "$(cat "$tmp/chk")"
            return
        fi
    fi
    if [ -n "$ORACLE" ] && ! "$ORACLE" "$tmp/up.cfg" name >/dev/null 2>"$tmp/err" && [ "$(grep -c 'parsing error\|lexical' "$tmp/err")" -ne 0 ]; then
        bad "upgrade: $name: xl parses the result" "$(cat "$tmp/err")"
        return
    fi
    "$XLCFG" upgrade ${UPNESTED:+--nested} "$tmp/up.cfg" >"$tmp/up2.cfg" 2>/dev/null
    if ! cmp -s "$tmp/up.cfg" "$tmp/up2.cfg"; then
        bad "upgrade: $name: a second upgrade changes nothing" "$(diff "$tmp/up.cfg" "$tmp/up2.cfg" | head)"
    fi
}

for f in hello net blk smp; do
    name="upgrade: examples/configs/$f.cfg stays byte for byte"
    if "$XLCFG" upgrade "$CFG/$f.cfg" 2>"$tmp/err" | cmp -s - "$CFG/$f.cfg" && [ ! -s "$tmp/err" ]; then
        ok "$name"
    else
        bad "$name" "$(cat "$tmp/err")"
    fi
done

up_case "pvh = 1 keeps its comment and the other lines" 0 \
    '# my guest\nname = "g"   # the name\n\n  pvh = 1   # PVHv1!\nkernel = "/k"\n# end\n' \
    '# my guest
name = "g"   # the name

  type = "pvh"   # PVHv1!
kernel = "/k"
# end
'
up_case 'no type: added after name' 0 'name = "g"\nkernel = "/k"\n' 'name = "g"
type = "pvh"
kernel = "/k"
'
up_case 'type = "hvm" and builder: value changed in place' 0 'name="g"; type="hvm"; builder="hvm"\nkernel="/k"\n' 'name="g"; type="pvh"
kernel="/k"
'
up_case 'builder alone becomes type' 0 'name = "g"\nbuilder = "hvm" # old\nkernel = "/k"\n' 'name = "g"
type = "pvh" # old
kernel = "/k"
'
up_case 'Pvh = True (xm) becomes type' 0 'name = "g"\nPvh = True\nkernel = "/k"\n' 'name = "g"
type = "pvh"
kernel = "/k"
'
up_case 'uppercase name and True fixed in place' 0 "${P}Vcpus = 2\nnestedhvm = False\n" 'name = "g"
type = "pvh"
kernel = "/k.elf"
vcpus = 2
nestedhvm = 0
'
up_case 'several settings on one line' 0 "${P}vnc = 1; memory = 32; sdl = 0\nacpi = 1; usb = [ \"a\",\n \"b\" ]\n" 'name = "g"
type = "pvh"
kernel = "/k.elf"
memory = 32
# xlcfg: removed acpi: no effect on an x86 PVH guest: libxl 4.17 always builds its ACPI tables (the MADT lists the VCPUs xenolith starts)
# xlcfg: removed usb: xl 4.17 reads it only for HVM guests (emulated hardware, firmware or device model); it does nothing for PVH
#acpi = 1; usb = [ "a",
# "b" ]
'
up_case 'a list over several lines' 0 "${P}serial = [\n  \"pty\", # first\n  \"file:/tmp/s\"\n]\nmemory = 32\n" 'name = "g"
type = "pvh"
kernel = "/k.elf"
# xlcfg: removed serial: an emulated UART exists only for HVM guests; a PVH guest has the PV console (xl console NAME)
#serial = [
#  "pty", # first
#  "file:/tmp/s"
#]
memory = 32
'
up_case 'DOS line ends and a last comment without newline' 0 'name = "g"\r\ntype = "pvh"\r\nkernel = "/k"\r\n# end' 'name = "g"
type = "pvh"
kernel = "/k"
# end
'
up_case 'bootloader out, --kernel in' 0 'name = "g"\nbootloader = "pygrub"\nbootloader_args = [ "-q" ]\ndisk = [ "/d.img,raw,xvda,rw" ]\n' 'name = "g"
type = "pvh"
kernel = "/srv/app \"1\".elf"
# xlcfg: removed bootloader: it runs a program such as pygrub to find a kernel inside the guest disk; xenolith is one ELF in dom0, booted directly
#bootloader = "pygrub"
# xlcfg: removed bootloader_args: only used with bootloader=, which xenolith cannot use
#bootloader_args = [ "-q" ]
disk = [ "/d.img,raw,xvda,rw" ]
' --kernel '/srv/app "1".elf'
up_case '--kernel replaces the kernel' 0 "${P}memory = 32\n" 'name = "g"
type = "pvh"
kernel = "/new.elf"
memory = 32
' --kernel /new.elf
UPNESTED=1 up_case '--nested adds cpuid' 0 "$P" 'name = "g"
cpuid = "host,rdtscp=0"
type = "pvh"
kernel = "/k.elf"
' --nested
UPNESTED=1 up_case '--nested extends cpuid' 0 "${P}cpuid = \"host,tm=0\"  # mine\n" 'name = "g"
type = "pvh"
kernel = "/k.elf"
cpuid = "host,tm=0,rdtscp=0"  # mine
' --nested
up_case 'what upgrade cannot fix stays, exit 1' 1 'type = "pvh"\nmemory = 2\n' 'type = "pvh"
memory = 2
'
expect_err "upgrade: unfixed problems on stderr" 1 "xlcfg: $tmp/u.cfg:1: error: no name — xl 4.17 stops with \"Domain name must be specified\" — add name = \"NAME\"
xlcfg: $tmp/u.cfg:1: error: no kernel — xl 4.17 stops with \"Neither kernel nor bootloader specified\"; xenolith boots by direct kernel boot — add kernel = \"/path/to/app.elf\" (or run upgrade --kernel PATH)
xlcfg: $tmp/u.cfg:2: error: memory = 2 — xenolith needs at least 4 MB — write memory = 32 (or at least 4)
" "$XLCFG" upgrade "$tmp/u.cfg"

# ------------------------------------------------------------ get
f=$(fixture get.cfg 'name = "g"\nvif = [ "a",\n "b" ] # c\ncmdline = "x"\ncmdline += " y"\ndisk = []\ndisk += [ "d" ]\n')
expect "get: a string" 0 'g
' "$XLCFG" get "$f" name
expect "get: a list, one item a line" 0 'a
b
' "$XLCFG" get "$f" vif
expect "get: += concatenates strings" 0 'x y
' "$XLCFG" get "$f" cmdline
expect "get: += extends lists" 0 'd
' "$XLCFG" get "$f" disk
expect_err "get: unset key" 1 "xlcfg: $f: memory is not set
" "$XLCFG" get "$f" memory
expect "get: a file xl rejects" 2 '' "$XLCFG" get "$(fixture bad.cfg 'k = "a\\qb"\n')" k

expect "quote: an xl string literal" 0 '"say \"hi\" \\\\ \\n"
' "$XLCFG" quote 'say "hi" \\ \n'
name="quote: round trip through get"
printf 'k = %s\n' "$("$XLCFG" quote "$c_tricky")" >"$tmp/qt.cfg"
tool_get "$tmp/qt.cfg" k
if [ "$got" = "$c_tricky" ]; then ok "$name"; else bad "$name" "$(printf '%q' "$got")"; fi

# ------------------------------------------------------------ against xl
# The syntax verdict (xl accepts or rejects the file) and the value of k
# must agree with libxlutil for each snippet.
snippets=(
    'k = 1\n' 'k=1' "k = 'a'\n" 'k = "a\\\\x41b"\n' 'k = "a\\\\101b"\n'
    'k = 1\n# c' 'k = 1 # c\n' 'k = 1\r\n' '# x\r\nk = 1\n' 'K = 1\n'
    'k = True\n' 'k = -1\n' "k = 'it\\\\'s'\n" 'k = [ "a",\n# c\n "b", ]\n'
    'k = "a"\nk += "b"\n' 'k = "a"\nk += ["b"]\n' 'k = 0x1f\n'
    'k = "a"; j = "b"\n' 'k = "v" j = "w"\n' 'k = [,]\n' 'k =\n1\n'
    'k\n= 1\n' 'k = 1;;\n' ';k = 1\n' 'k = 32M\n' 'k = 1.5\n'
    'k = "x\\\\\ny"\n' 'k = ""\n' 'k = "\\\\n\\\\t\\\\r\\\\a\\\\b\\\\f\\\\v"\n'
    'k = "a\\\\0"\n' '\tk\t=\t"x"\t\n' 'k = "#x" # "y\n' 'k.x_y = 1\n'
    'k = ( 1 )\n' 'k = 1\f\n' 'k += "a"\n' 'k = "a\nb"\n' '' '#only\n'
    'k = 00\n' '_k = 1\n' 'k = [ "a" ] ;\n' 'k = 1 ;# c\n' 'k = é\n'
)
if [ -n "$ORACLE" ]; then
    for s in "${snippets[@]}"; do
        name="xl agrees: $(printf '%q' "$s" | head -c 50)"
        f=$(fixture o.cfg "$s")
        ov=$("$ORACLE" "$f" k 2>/dev/null; echo "x$?")
        orc=${ov##*x}
        ov=${ov%x*}
        tv=$("$XLCFG" get "$f" k 2>/dev/null; echo "x$?")
        trc=${tv##*x}
        tv=${tv%x*}
        tv=${tv%$'\n'}
        if [ "$orc" -eq 2 ] || [ "$trc" -eq 2 ]; then
            if [ "$orc" -eq "$trc" ]; then ok "$name"; else bad "$name" "xl status $orc, xlcfg get status $trc"; fi
        elif [ "$orc" -eq 0 ] && [ "$trc" -eq 0 ] && [ "$ov" != "$tv" ]; then
            bad "$name" "xl reads $(printf '%q' "$ov"), xlcfg $(printf '%q' "$tv")"
        else
            ok "$name"
        fi
    done
    name="xl parses every example config"
    for f in "$CFG"/*.cfg; do
        "$ORACLE" "$f" name >/dev/null 2>>"$tmp/oerr" || echo "$f" >>"$tmp/ofail"
    done
    if [ -s "$tmp/ofail" ]; then bad "$name" "$(cat "$tmp/ofail" "$tmp/oerr")"; else ok "$name"; fi
else
    skip $((${#snippets[@]} + 1)) "xl (libxlutil) cross-checks: no /usr/include/libxlutil.h or cc (install libxen-dev)"
fi

# ------------------------------------------------------------ libvirt

expect "libvirt: gen --libvirt, every option" 0 '<!-- xenolith PVH guest for the libvirt Xen driver (tools/xlcfg); boot with:
       virsh -c xen:///system create FILE -->
<domain type="xen">
  <name>web-1</name>
  <memory unit="MiB">64</memory>
  <vcpu current="2">8</vcpu>
  <os>
    <type arch="x86_64" machine="xenpvh">xenpvh</type>
    <kernel>/srv/httpd.elf</kernel>
    <cmdline>a &quot;b c&quot; &amp; &lt;d&gt; &apos;e&apos;</cmdline>
  </os>
  <cpu mode="host-passthrough">
    <feature policy="disable" name="rdtscp"/>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <console type="pty">
      <target type="xen" port="0"/>
    </console>
    <interface type="bridge">
      <source bridge="xenbr0"/>
      <mac address="00:16:3e:00:00:01"/>
    </interface>
    <interface type="bridge">
      <source bridge="xenbr1"/>
    </interface>
    <disk type="file" device="disk">
      <driver name="phy" type="raw"/>
      <source file="/srv/a.img"/>
      <target dev="xvda" bus="xen"/>
    </disk>
    <disk type="file" device="disk">
      <driver name="phy" type="raw"/>
      <source file="/srv/b,c.img"/>
      <target dev="xvdc" bus="xen"/>
      <readonly/>
    </disk>
  </devices>
</domain>
' "$XLCFG" gen --libvirt --kernel /srv/httpd.elf --name web-1 --memory 64 --vcpus 2 --maxvcpus 8 \
    --vif 'bridge=xenbr0,mac=00:16:3e:00:00:01' --vif xenbr1 --disk /srv/a.img \
    --disk 'format=raw,vdev=xvdc,access=ro,target=/srv/b,c.img' \
    --cmdline "a \"b c\" & <d> 'e'" --nested

# The values as an XML parser reads them back: command lines with every kind of
# character XML escapes, newlines and tabs, and UTF-8, through xmllint.
if command -v xmllint >/dev/null; then
    i=0
    for c in 'hello world' 'a "b c" d' "it's" 'x & y <z> ]]> &amp;' $'two\nlines\tand a tab' \
        'é ü — ☃' '  spaces  around  ' 'a\b\\c'; do
        i=$((i + 1))
        name="libvirt: cmdline $i comes back from the XML byte for byte"
        "$XLCFG" gen --libvirt --kernel /k.elf --cmdline "$c" >"$tmp/c.xml" 2>"$tmp/err"
        # (xmllint ends its answer with a newline)
        got=$(xmllint --xpath 'string(/domain/os/cmdline)' "$tmp/c.xml"; echo x)
        got=${got%$'\n'x}
        if [ "$got" = "$c" ]; then
            ok "$name"
        else
            bad "$name" "wanted [$c]" "got    [$got]" "$(head -c 300 "$tmp/err")"
        fi
    done
    name="libvirt: the elements libvirt's xenpvh needs, with the config's values"
    "$XLCFG" gen --libvirt --kernel /srv/x.elf --name xv --memory 48 --vcpus 3 --vif xenbr0 >"$tmp/v.xml"
    v=$(for q in 'string(/domain/@type)' 'string(/domain/name)' 'string(/domain/os/type)' \
        'string(/domain/os/type/@machine)' 'string(/domain/os/type/@arch)' 'string(/domain/os/kernel)' \
        'string(/domain/memory)' 'string(/domain/memory/@unit)' 'string(/domain/vcpu)' \
        'string(/domain/devices/interface/source/@bridge)' 'string(/domain/devices/console/target/@type)' \
        'count(/domain/devices/disk)'; do
        printf '%s|' "$(xmllint --xpath "$q" "$tmp/v.xml")"
    done)
    if [ "$v" = 'xen|xv|xenpvh|xenpvh|x86_64|/srv/x.elf|48|MiB|3|xenbr0|xen|0|' ]; then
        ok "$name"
    else
        bad "$name" "got $v"
    fi
else
    skip 9 "libvirt XML read back: no xmllint"
fi

# libvirt's own schema (Debian 12's libvirt 9.0): from the host, or from the nested
# harness's unpacked packages (tools/xen/fetch.sh fetches libvirt for dom0).
rng=''
for d in /usr/share/libvirt/schemas build/xen/root/usr/share/libvirt/schemas; do
    [ -r "$d/domain.rng" ] && rng=$d/domain.rng && break
done
if [ -n "$rng" ] && command -v xmllint >/dev/null; then
    "$XLCFG" gen --libvirt --kernel /srv/httpd.elf --memory 64 --vcpus 2 --maxvcpus 8 \
        --vif 'bridge=xenbr0,mac=00:16:3e:00:00:01' --disk /srv/a.img \
        --disk 'format=raw,vdev=xvdc,access=ro,target=/srv/b.img' --cmdline 'a "b" &' \
        --nested >"$tmp/all.xml" 2>/dev/null
    for f in "$tmp/all.xml" "$tmp/v.xml" "$CFG/xenolith-hello.xml"; do
        expect_err "libvirt: $(basename "$f") validates against libvirt's domain.rng" 0 "$f validates
" xmllint --noout --relaxng "$rng" "$f"
    done
    # The check can fail: a PV os type with a kernel is valid, a made-up element is not.
    sed 's|<vcpu>|<vcpus>|; s|</vcpu>|</vcpus>|' "$tmp/v.xml" >"$tmp/broken.xml"
    name="libvirt: the schema check rejects a wrong element"
    if xmllint --noout --relaxng "$rng" "$tmp/broken.xml" >/dev/null 2>&1; then bad "$name"; else ok "$name"; fi
else
    skip 4 "libvirt schema: no domain.rng (apt-get install libvirt-clients, or run tools/xen/fetch.sh)"
fi

expect_err "libvirt: a PVHv1 config is refused with check's errors" 1 "xlcfg: $CFG/legacy-pvh1.cfg:8: error: pvh = 1 without type — the PVHv1 switch was removed in Xen 4.9 and xl 4.17 ignores it, so this builds a PV domain; xenolith then only prints that it needs type=\"pvh\" and ends as crashed — replace it with type = \"pvh\"
xlcfg: $CFG/legacy-pvh1.cfg:9: error: builder = \"generic\" builds a PV domain — builder is deprecated since Xen 4.10 and cannot say PVH; xenolith on a PV boot only says it needs type=\"pvh\" and ends as crashed — remove it (type = \"pvh\" replaces it)
" "$XLCFG" libvirt "$CFG/legacy-pvh1.cfg"

f=$(fixture ctl.cfg 'name = "c"\ntype = "pvh"\nkernel = "/k"\ncmdline = "a\\bb"\n')
expect_err "libvirt: a control character XML cannot carry is refused" 1 "xlcfg: $f: error: libvirt: a control character in a value — XML 1.0 cannot carry it, not even as &#N;
" "$XLCFG" libvirt "$f"

f=$(fixture extra.cfg 'name = "e"\ntype = "pvh"\nkernel = "k.elf"\nmemory = 16\nmaxmem = 64\nvif = [ "bridge=xenbr0,rate=10Mb/s" ]\ncpu_weight = 128\n')
expect_err "libvirt: what is not converted is named on stderr" 0 "xlcfg: $f: warning: libvirt: kernel path \"k.elf\" is relative — libvirtd opens it from its own working directory (/) — give an absolute path
xlcfg: $f: libvirt: vif rate= left out — xlcfg does not convert it
xlcfg: $f: libvirt: cpu_weight left out — xlcfg does not convert it
" "$XLCFG" libvirt "$f"
name="libvirt: maxmem above memory is <memory> with <currentMemory>"
if grep -q '<memory unit="MiB">64</memory>' "$tmp/out" && grep -q '<currentMemory unit="MiB">16</currentMemory>' "$tmp/out"; then
    ok "$name"
else
    bad "$name" "$(cat "$tmp/out")"
fi

# ------------------------------------------------------------ busybox
BB=${BUSYBOX:-}
[ -n "$BB" ] || BB=$(command -v busybox || true)
[ -n "$BB" ] || { [ ! -x build/xen/root/bin/busybox ] || BB=build/xen/root/bin/busybox; }
if [ -n "$BB" ] && [ -x "$BB" ]; then
    # A PATH of busybox applets only, as in the dom0.
    mkdir -p "$tmp/bb"
    for a in sh awk tail wc sed cut cat; do ln -sf "$(cd "$(dirname "$BB")" && pwd)/$(basename "$BB")" "$tmp/bb/$a"; done
    bb() { PATH="$tmp/bb" "$tmp/bb/sh" "$XLCFG" "$@"; }
    c=$'a "b c" \\d\te\nf \'q\' \\\\n é'
    for args in "gen" "check" "upgrade" "get" "libvirt"; do
        name="busybox sh + awk: $args gives the same bytes"
        case $args in
            gen) set -- gen --kernel /k.elf --vif xenbr0 --disk /d --cmdline "$c" --nested ;;
            check) set -- check "$CFG/legacy-pvh1.cfg" ;;
            upgrade) set -- upgrade --nested --kernel /x.elf "$CFG/legacy-pvh1.cfg" ;;
            get) set -- get "$tmp/rt.cfg" cmdline ;;
            libvirt) set -- gen --libvirt --kernel /k.elf --vif 'bridge=xenbr0,mac=00:16:3e:00:00:01,rate=1' --disk /d --cmdline "$c" --nested ;;
        esac
        "$XLCFG" "$@" >"$tmp/a.out" 2>"$tmp/a.err"
        arc=$?
        bb "$@" >"$tmp/b.out" 2>"$tmp/b.err"
        brc=$?
        if [ "$arc" -eq "$brc" ] && cmp -s "$tmp/a.out" "$tmp/b.out" && cmp -s "$tmp/a.err" "$tmp/b.err"; then
            ok "$name"
        else
            bad "$name" "status $arc vs $brc" "$(diff "$tmp/a.out" "$tmp/b.out" | head -n 10)" "$(diff "$tmp/a.err" "$tmp/b.err" | head -n 10)"
        fi
    done
else
    skip 5 "busybox runs: no busybox (set BUSYBOX=PATH)"
fi

# ------------------------------------------------------------ the files

name="libvirt example: os type xenpvh, machine xenpvh, a kernel"
x=$CFG/xenolith-hello.xml
if grep -q "<type arch='x86_64' machine='xenpvh'>xenpvh</type>" "$x" && grep -q '<kernel>' "$x"; then
    ok "$name"
else
    bad "$name"
fi
if command -v virt-xml-validate >/dev/null; then
    expect_err "libvirt example validates (virt-xml-validate)" 0 "$x validates
" virt-xml-validate "$x" domain
elif command -v xmllint >/dev/null; then
    expect "libvirt example is well-formed (xmllint)" 0 '' xmllint --noout "$x"
else
    skip 1 "libvirt XML validation: no virt-xml-validate or xmllint"
fi
if command -v shellcheck >/dev/null; then
    expect "shellcheck tools/xlcfg" 0 '' shellcheck "$XLCFG"
else
    skip 1 "shellcheck: not installed"
fi

if [ "$skipped" -gt 0 ]; then
    echo "xlcfg: $pass passed, $fail failed, $skipped skipped"
else
    echo "xlcfg: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
