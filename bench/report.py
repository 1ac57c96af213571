"""The results table: one row per measure with our dtrace, the baseline
("before", when BASELINE_DTRACE is given), bpftrace, the ratio
(dtrace / bpftrace: below 1 means we are cheaper), the goal and whether
this run met it."""
import math


class Row:
    def __init__(self, key, label, values, fmt=".1f", goal="-", check=None, ratio=True, note=""):
        self.key = key
        self.label = label
        self.values = values  # "dtrace", "before", "bpftrace" -> number or None
        self.fmt = fmt
        self.goal = goal
        self.check = check  # Row -> bool, or None when the row has no goal
        self.want_ratio = ratio
        self.note = note

    def ratio(self, which="dtrace"):
        a, b = self.values.get(which), self.values.get("bpftrace")
        if not self.want_ratio or not _number(a) or not _number(b) or b == 0:
            return None
        return a / b

    def met(self):
        if self.check is None or not _number(self.values.get("dtrace")):
            return None
        return bool(self.check(self))

    def json(self):
        out = {"label": self.label, **self.values, "ratio": self.ratio(), "goal": self.goal, "met": self.met()}
        if "before" in self.values:
            out["before_ratio"] = self.ratio("before")
        if self.note:
            out["note"] = self.note
        return out


def _number(v):
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))


def _cell(v, fmt, width):
    if not _number(v):
        return f"{'n/a' if v is None else v:>{width}}"
    return f"{v:>{width}{fmt}}"


def print_table(rows, with_before, header):
    print(header)
    cols = ["dtrace"] + (["before"] if with_before else []) + ["bpftrace"]
    print(f"{'benchmark':36}" + "".join(f"{c:>12}" for c in cols) + f"{'ratio':>9}  {'goal':24} met")
    for r in rows:
        cells = "".join(_cell(r.values.get(c), r.fmt, 12) if c in r.values else f"{'-':>12}" for c in cols)
        ratio = r.ratio()
        met = {True: "yes", False: "NO", None: "-"}[r.met()]
        print(f"{r.label:36}{cells}{_cell(ratio, '.3f', 9) if ratio is not None else f'{chr(45):>9}'}"
              f"  {r.goal:24} {met}")
    notes = [f"  {r.label.strip()}: {r.note}" for r in rows if r.note]
    if notes:
        print("notes:")
        print("\n".join(notes))
