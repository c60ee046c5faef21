"""python -m jiaoyu_fupin.samplegen OUTDIR [--seed N] [--scale small|bench|N] [--truth DIR]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import DEFAULT_SEED, DEFAULT_TRUTH


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m jiaoyu_fupin.samplegen",
                                 description="生成合成县样例数据（含标准答案）。")
    ap.add_argument("outdir", type=Path, help="输出文件夹")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"随机种子（默认 {DEFAULT_SEED}）")
    ap.add_argument("--scale", default="small",
                    help="small（提交的样例）、bench（性能测试规模）或一个倍数，如 0.1 表示 bench 的十分之一")
    ap.add_argument("--truth", type=Path, default=None,
                    help=f"标准答案输出文件夹（small 默认 {DEFAULT_TRUTH}，bench 默认不写）")
    ap.add_argument("--workers", type=int, default=2, help="bench 规模写文件的进程数（默认 2）")
    args = ap.parse_args(argv)
    t0 = time.time()
    if args.scale == "small":
        from . import generate_small
        truth = args.truth if args.truth is not None else DEFAULT_TRUTH
        info = generate_small(args.outdir, seed=args.seed, truth=truth)
        print(f"small sample written to {args.outdir} (truth: {truth}) in {time.time() - t0:.1f}s")
        for k, v in info["sizes"].items():
            print(f"  {k}: {v}")
        return 0
    factor = 1.0 if args.scale == "bench" else float(args.scale)
    if factor <= 0:
        ap.error("--scale must be small, bench or a positive number")
    from .bench import generate_bench
    info = generate_bench(args.outdir, seed=args.seed, factor=factor, truth=args.truth, workers=args.workers)
    print(f"bench data (x{factor}) written to {args.outdir} in {time.time() - t0:.1f}s")
    for k, v in info["sizes"].items():
        print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
