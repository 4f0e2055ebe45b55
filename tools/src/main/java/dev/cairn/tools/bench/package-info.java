/** Benchmark baselines: the same contracts as Cairn, with nothing of Cairn behind them. */
@NullMarked
package dev.cairn.tools.bench;

import org.jspecify.annotations.NullMarked;
