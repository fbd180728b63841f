"""``orderloom stock``: receive, transfer, stock-take, adjust, safety stock, levels, ledger and alerts from
the command line, each bad input refused in zh and en with nothing written."""

from __future__ import annotations

from tests.cli.support import Run


def test_the_stock_operations_from_the_command_line(run: Run) -> None:
    received = run("stock", "receive", "XM-BAND8", "SH-01", "20", "--new", "--as", "zhao.lei").output
    assert received.strip() == "received: XM-BAND8 at SH-01 +20, now 20 on hand (0 reserved)"
    run("stock", "receive", "XM-BAND8", "GZ-01", "3", "--new")
    sent = run("stock", "transfer", "XM-BAND8", "SH-01", "GZ-01", "5", "--as", "zhao.lei").output
    assert "transfer T1: XM-BAND8 × 5 SH-01 → GZ-01, in_transit, 5 in transit" in sent
    assert "T1" in run("stock", "transfers", "--in-transit").output
    part = run("stock", "receive-transfer", "T1", "--qty", "2", "--lang", "zh").output
    assert "调拨单 T1：XM-BAND8 5 件 SH-01 → GZ-01，partly_received，在途 3 件" in part
    run("stock", "adjust", "XM-BAND8", "GZ-01", "--reason", "破损", "--", "-1")
    run("stock", "take", "open", "SH-01")
    run("stock", "take", "count", "C1", "XM-BAND8", "14")
    review = run("stock", "take", "review", "C1").output
    assert "XM-BAND8: book 15, counted 14, difference -1 (0 reserved)" in review
    assert "posted" in run("stock", "take", "post", "C1").output
    run("stock", "safety", "XM-BAND8", "GZ-01", "10")
    levels = run("stock", "levels").output.splitlines()
    assert levels == [
        "XM-BAND8\tGZ-01\ton hand 4\treserved 0\tfree 4\tsafety 10  LOW",
        "XM-BAND8\tSH-01\ton hand 14\treserved 0\tfree 14\tsafety -",
    ]
    first = run("stock", "levels", "--limit", "1").output.splitlines()
    assert first[-1] == "… more: add --after XM-BAND8@GZ-01 for the next page"
    assert run("stock", "levels", "--after", "XM-BAND8@GZ-01").output.splitlines() == levels[1:]
    ledger = run("stock", "ledger", "--sku", "XM-BAND8").output.splitlines()
    assert [line.split("\t")[4:6] for line in ledger] == [
        ["-1", "count"],
        ["-1", "adjust"],
        ["+2", "transfer_in"],
        ["-5", "transfer_out"],
        ["+3", "receive"],
        ["+20", "receive"],
    ]
    alerts = run("stock", "alerts").output
    assert (
        "XM-BAND8 at GZ-01: 4 free < safety stock 10; shipped in 30 days 0, in transit 3; reorder 3" in alerts
    )


def test_the_stock_take_review_marks_a_large_difference_as_the_web_sheet_does(run: Run) -> None:
    """More than 10 units and more than 10% of the book apart is called out, in both languages; 15
    counted against 20 (5 units) is not."""
    run("stock", "receive", "XM-BAND8", "SH-01", "20", "--new")
    run("stock", "receive", "AT-C202", "SH-01", "100", "--new")
    run("stock", "take", "open", "SH-01")
    run("stock", "take", "count", "C1", "XM-BAND8", "15")
    run("stock", "take", "count", "C1", "AT-C202", "70")
    review = run("stock", "take", "review", "C1").output.splitlines()
    marked = "large difference (more than 10 units and 10% of the book)"
    assert [line for line in review if marked in line] == [
        "  AT-C202: book 100, counted 70, difference -30 (0 reserved)  ← " + marked
    ]
    assert "  XM-BAND8: book 20, counted 15, difference -5 (0 reserved)" in review
    zh = run("stock", "take", "review", "C1", "--lang", "zh").output
    assert "差异 -30（占用 0）  ← 差异较大（超过 10 件且超过账面的 10%）" in zh


def test_bad_input_is_refused_in_both_languages_and_nothing_is_written(run: Run) -> None:
    run("stock", "receive", "XM-BAND8", "SH-01", "20", "--new")
    run("stock", "receive", "AT-C202", "GZ-01", "1", "--new")
    refused = run("stock", "receive", "XM-BAND9", "SH-01", "2", code=1)
    assert "error: No product with the code “XM-BAND9”. Did you mean XM-BAND8?" in refused.output
    refused = run("stock", "transfer", "XM-BAND8", "SH-01", "SH-01", "2", "--lang", "zh", code=1)
    assert "调入仓库不能与调出仓库相同" in refused.output
    refused = run("stock", "receive", "XM-BAND8", "SH-01", "0", "--lang", "zh", code=1)
    assert "数量必须是 1 到" in refused.output
    run("stock", "transfer", "XM-BAND8", "SH-01", "GZ-01", "2")
    refused = run("stock", "receive-transfer", "T1", "--qty", "3", code=1)
    assert "Only 2 of transfer T1 are in transit (2 were sent); 3 cannot be received." in refused.output
    assert "not a number like T12" in run("stock", "receive-transfer", "X1", code=2).output
    ledger = run("stock", "ledger").output.splitlines()
    assert len(ledger) == 3  # two receipts and the transfer out: nothing of the refused ones
