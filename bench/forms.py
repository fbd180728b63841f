"""Form validations per second: the retail web intake form with 20 order lines, OrderLoom beside jsonschema.

Every contender checks the same seeded, varied submissions of ``forms/retail/intake-web.json`` (20 lines
each, Chinese names and addresses; ``--invalid`` of them, 10% by default, with a mobile number that is not
one), in the same run, taking turns within every round:

- ``orderloom``: the form's ``FormValidator`` compiled once (``FormValidator.compile``), then
  ``validator.messages(data, layout)`` per submission: the fast verdict (jsonschema_rs), and for an
  invalid one every error with its field and its zh and en message;
- ``orderloom_submit``: what a submitted page runs on the server: ``layout.prepare(data)`` (hidden
  groups' fields dropped, the 20 line amounts and the total computed), then the same ``messages``;
- ``orderloom_page``: the same from the posted form fields (``lines[3].qty`` …), read back into nested,
  typed data by ``web.formdata.parse_form`` first;
- ``jsonschema``: the uncompiled call, ``jsonschema.validate(data, schema, format_checker=…)`` with the
  same format checker (mobile-cn, postcode-cn, …), which checks the schema and builds a validator on
  every call and raises the first error it meets. It does not know ``format: money`` and matches
  patterns with Python's ``re``; on these submissions that changes no verdict.

After the timed rounds, the bench checks that every contender gave every submission the same verdict;
a disagreement stops the run with no figures. Prints exactly one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
# Measure the code of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

import jsonschema  # noqa: E402

from engine.forms.formats import FORMAT_CHECKER  # noqa: E402
from engine.forms.ui import load_layout, ui_path_for  # noqa: E402
from engine.forms.validation import FormValidator  # noqa: E402
from web.formdata import parse_form  # noqa: E402

FORM = REPO_ROOT / "forms" / "retail" / "intake-web.json"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平"
PROVINCES = [("上海市", "上海", "浦东新区"), ("浙江省", "杭州", "西湖区"), ("广东省", "深圳", "南山区")]
PRODUCTS = [
    ("TEA-01", "龙井茶"),
    ("CUP-02", "茶杯"),
    ("POT-03", "茶壶"),
    ("MAT-04", "茶垫"),
    ("BOX-05", "礼盒"),
]


def make_submission(rng: random.Random, lines: int, valid: bool) -> dict[str, Any]:
    """One filled intake form as the page posts it, before the server computes amounts and total."""
    province, city, district = rng.choice(PROVINCES)
    mobile = (
        f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if valid else f"0{rng.randrange(10**9):09d}"
    )
    data: dict[str, Any] = {
        "customer": {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "mobile": mobile,
            "member_level": rng.choice(["regular", "silver", "gold"]),
        },
        "address": {
            "province": province,
            "city": city,
            "district": district,
            "detail": f"文三路{rng.randrange(1, 999)}号{rng.randrange(1, 30)}楼",
            "postcode": f"{rng.randrange(100000, 999999)}",
        },
        "lines": [],
        "shipping_fee": float(rng.choice([0, 8, 10, 12.5])),
        "discount": float(rng.choice([0, 0, 5, 20])),
        "needs_invoice": rng.random() < 0.3,
        "note": rng.choice(["", "工作日送货", "请电话联系"]),
    }
    for _ in range(lines):
        sku, name = rng.choice(PRODUCTS)
        data["lines"].append(
            {
                "sku": sku,
                "name": name,
                "qty": rng.randrange(1, 20),
                "unit_price": rng.randrange(100, 99_900) / 100,
            }
        )
    if data["needs_invoice"]:
        data["invoice"] = {"type": "personal", "title": data["customer"]["name"]}
    if not data["note"]:
        del data["note"]
    return data


def posted_pairs(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields a browser posts for ``data`` (what the page's inputs hold)."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        elif isinstance(value, list):
            pairs.append((prefix, ""))
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        elif isinstance(value, bool):
            pairs.extend([(prefix, "false")] + ([(prefix, "true")] if value else []))
        else:
            pairs.append((prefix, f"{value:.2f}" if isinstance(value, float) else str(value)))

    walk("", data)
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=20, help="order lines per submission (20)")
    parser.add_argument("--submissions", type=int, default=1000, help="submissions per round (1000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the median is printed (3)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed submissions first (200)")
    parser.add_argument("--invalid", type=float, default=0.1, help="share of invalid submissions (0.1)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    schema = json.loads(FORM.read_text(encoding="utf-8"))
    ui = json.loads(ui_path_for(FORM).read_text(encoding="utf-8"))
    layout = load_layout(schema, ui)
    validator = FormValidator.compile(schema)
    rng = random.Random(args.seed)
    raw = [make_submission(rng, args.lines, rng.random() >= args.invalid) for _ in range(args.submissions)]
    prepared = [layout.prepare(item) for item in raw]
    pairs = [posted_pairs(item) for item in raw]

    def orderloom(index: int) -> bool:
        return not validator.messages(prepared[index], layout)

    def orderloom_submit(index: int) -> bool:
        return not validator.messages(layout.prepare(raw[index]), layout)

    def orderloom_page(index: int) -> bool:
        return not validator.messages(layout.prepare(parse_form(pairs[index], layout, schema)), layout)

    def uncompiled(index: int) -> bool:
        try:
            jsonschema.validate(prepared[index], schema, format_checker=FORMAT_CHECKER)
        except jsonschema.ValidationError:
            return False
        return True

    contenders: dict[str, Callable[[int], bool]] = {
        "orderloom": orderloom,
        "orderloom_submit": orderloom_submit,
        "orderloom_page": orderloom_page,
        "jsonschema": uncompiled,
    }
    for run in contenders.values():
        for index in range(min(args.warmup, len(raw))):
            run(index)
    verdicts: dict[str, list[bool]] = {}
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    gc.collect()
    gc.freeze()  # the submissions and the harness are not what the collector should walk while timed
    for round_number in range(args.rounds):
        order = list(contenders.items())
        random.Random(round_number).shuffle(order)
        for name, run in order:
            started = time.perf_counter()
            got = [run(index) for index in range(len(raw))]
            elapsed = time.perf_counter() - started
            rates[name].append(len(raw) / elapsed)
            verdicts[name] = got
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    reference = verdicts["jsonschema"]
    for name, got in verdicts.items():
        differ = [i for i, (a, b) in enumerate(zip(got, reference, strict=True)) if a != b]
        if differ:
            sample = json.dumps(prepared[differ[0]], ensure_ascii=False)[:400]
            sys.exit(f"{name} and jsonschema differ on {len(differ)} submission(s), e.g. {sample}")
    result: dict[str, Any] = {
        "form": "forms/retail/intake-web.json",
        "lines": args.lines,
        "submissions": len(raw),
        "invalid": reference.count(False),
        "rounds": args.rounds,
    }
    for name, figures in rates.items():
        result[f"{name}_per_s"] = round(statistics.median(figures), 1)
    result["speedup"] = round(result["orderloom_per_s"] / result["jsonschema_per_s"], 1)
    result["agreed"] = len(raw)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
