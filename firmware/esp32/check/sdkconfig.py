#!/usr/bin/python3
"""Generate sdkconfig.h for the ESP32 project from the real Kconfig tree of an ESP-IDF checkout,
the way ESP-IDF's build does (tools/cmake/kconfig.cmake + kconfgen), but with Debian's
kconfiglib (python3-kconfiglib) instead of esp-idf-kconfig (not installable here).

  sdkconfig.py --idf DIR --version X.Y.Z --out sdkconfig.h [--kconfig FILE]... [--projbuild FILE]...
               [--defaults FILE]... [--set CONFIG_X=V]...

Every component Kconfig of the tree is sourced (idf.py builds all components by default), plus
the extra --kconfig (WAMR, registry PHY drivers) and --projbuild (this project's) files. Exits 1
if a default or --set line names no symbol or did not take effect (see below). """
import argparse, glob, os, sys, tempfile
import kconfiglib

ap = argparse.ArgumentParser()
ap.add_argument("--idf", required=True)
ap.add_argument("--version", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--kconfig", action="append", default=[])
ap.add_argument("--projbuild", action="append", default=[])
ap.add_argument("--defaults", action="append", default=[])
ap.add_argument("--set", action="append", default=[])
a = ap.parse_args()

idf = os.path.abspath(a.idf)
comps = sorted(glob.glob(f"{idf}/components/*/Kconfig")) + [os.path.abspath(k) for k in a.kconfig]
projbuild = sorted(glob.glob(f"{idf}/components/*/Kconfig.projbuild")) + [os.path.abspath(k) for k in a.projbuild]
tmp = tempfile.mkdtemp(prefix="wt-kconfig-")
def listing(name, files):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.writelines(f'source "{k}"\n' for k in files)
    return path
empty = listing("empty.in", [])
os.environ.update({
    "IDF_PATH": idf, "IDF_TARGET": "esp32", "IDF_TOOLCHAIN": "gcc", "IDF_ENV_FPGA": "",
    "IDF_INIT_VERSION": a.version, "IDF_CI_BUILD": "", "IDF_DOC_BUILD": "",
    "IDF_MINIMAL_BUILD": "n", "IDF_BUILD_V2": "n", "KCONFIG_REPORT_VERBOSITY": "quiet",
    "COMPONENT_KCONFIGS_SOURCE_FILE": listing("kconfigs.in", comps),
    "COMPONENT_KCONFIGS_PROJBUILD_SOURCE_FILE": listing("kconfigs_projbuild.in", projbuild),
    "COMPONENT_KCONFIGS_EXCLUDED_SOURCE_FILE": empty,
    "COMPONENT_KCONFIGS_PROJBUILD_EXCLUDED_SOURCE_FILE": empty,
})
# ESP-IDF >= 5.4 puts help text under some menus, which kconfiglib 14 does not expect (the
# attribute is only initialised for symbols and choices): give every node one.
_parse_help = kconfiglib.Kconfig._parse_help
def _parse_help_any_node(self, node):
    try:
        node.help
    except AttributeError:
        node.help = None
    return _parse_help(self, node)
kconfiglib.Kconfig._parse_help = _parse_help_any_node
kconf = kconfiglib.Kconfig(f"{idf}/Kconfig", warn=False)

wanted = []
for d in a.defaults:
    for line in open(d):
        line = line.strip()
        if line.startswith("CONFIG_"):
            wanted.append(line)
wanted += a.set
merged = os.path.join(tmp, "defaults")
with open(merged, "w") as f:
    f.write("\n".join(wanted) + "\n")
kconf.load_config(merged, replace=True)

# The last assignment of each symbol wins (as in ESP-IDF's defaults files). A symbol that does
# not exist, or whose dependencies hold but which took another value, is an error; one whose
# dependencies do not hold in this configuration (e.g. EMAC options under QEMU) is reported only.
last = {}
for line in wanted:
    name, _, value = line.partition("=")
    last[name] = value.strip().strip('"')
bad, unmet = [], []
for name, want in last.items():
    sym = kconf.syms.get(name[len("CONFIG_"):])
    if sym is None:
        bad.append(f"{name}: no such symbol")
    elif sym.str_value != want:
        if kconfiglib.expr_value(sym.direct_dep) == 0:
            unmet.append(f"{name}={want}: its dependencies do not hold here")
        else:
            bad.append(f"{name}={want}: the value is {sym.str_value!r}")
kconf.write_autoconf(a.out)
for u in unmet:
    print(f"sdkconfig.py: note: {u}", file=sys.stderr)
for b in bad:
    print(f"sdkconfig.py: error: {b}", file=sys.stderr)
sys.exit(1 if bad else 0)
