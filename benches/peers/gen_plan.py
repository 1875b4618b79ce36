#!/usr/bin/env python3
# gen_plan.py REPO N OUTDIR: writes OUTDIR/dutybell.yaml (the bundled config with state_dir,
# plan and calendar made absolute) and OUTDIR/plan/*.yaml holding N tasks: the bundled 41 tasks
# of seeds/plan cloned round-robin under new ids and area numbers, as benches/schedule.rs does
# in memory, so the mix of rule forms, check-ins and recipients is the real one. Text only (the
# task blocks are copied verbatim); deterministic.
import os, re, sys

repo, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
plan_dir = os.path.join(out, "plan")
os.makedirs(plan_dir, exist_ok=True)
for f in os.listdir(plan_dir):
    os.remove(os.path.join(plan_dir, f))

# Each seed file: a header (comments, `area:` block, `tasks:`) and task blocks, each starting at
# a line "  - id: ...". Both are copied as text.
tasks = []  # (area title block, task block without its id line)
for name in sorted(os.listdir(os.path.join(repo, "seeds/plan"))):
    text = open(os.path.join(repo, "seeds/plan", name), encoding="utf-8").read()
    head, *blocks = re.split(r"(?m)^(?=  - id: )", text)
    title = re.search(r"(?m)^  title: .*$", head).group(0)
    for b in blocks:
        tasks.append((title, b.split("\n", 1)[1]))

made = 0
copy = 0
while made < n:
    by_area = {}
    for i, (title, body) in enumerate(tasks):
        if made >= n:
            break
        by_area.setdefault(title, []).append((i, body))
        made += 1
    for a, (title, items) in enumerate(by_area.items()):
        number = copy * 100 + a + 1
        lines = [f"area:\n  number: {number}\n{title}\ntasks:\n"]
        for i, body in items:
            lines.append(f'  - id: "{number}.{i + 1}"\n{body}')
        with open(os.path.join(plan_dir, f"{number:06d}.yaml"), "w", encoding="utf-8") as f:
            f.write("".join(lines))
    copy += 1

cfg = open(os.path.join(repo, "config/dutybell.yaml"), encoding="utf-8").read()
subs = [
    ("  state_dir: state\n", f"  state_dir: {out}/state\n"),
    ("  plan: [../seeds/plan]\n", f"  plan: [{plan_dir}]\n"),
    ("  calendar: [calendar]\n", f"  calendar: [{repo}/config/calendar]\n"),
]
for old, new in subs:
    if old not in cfg:
        sys.exit(f"gen_plan.py: config/dutybell.yaml no longer has {old.strip()!r}")
    cfg = cfg.replace(old, new)
open(os.path.join(out, "dutybell.yaml"), "w", encoding="utf-8").write(cfg)
print(f"{made} tasks in {plan_dir}")
