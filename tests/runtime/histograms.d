/* OPTIONS: -q */
/* quantize(), lquantize() and llquantize(): power-of-two, linear and
   log-linear buckets (below base and from limit on), increments, negative
   values, several keys sorted by the sum of value x count, DTrace's bars. */
BEGIN
{
	@q["small"] = quantize(0);
	@q["small"] = quantize(1);
	@q["small"] = quantize(3, 2);
	@q["mixed"] = quantize(-5);
	@q["mixed"] = quantize(1000, 3);
	@l = lquantize(-1, 0, 10, 2);
	@l = lquantize(3, 0, 10, 2);
	@l = lquantize(4, 0, 10, 2, 5);
	@l = lquantize(12, 0, 10, 2);
	/* llquantize(factor 10, magnitudes 0..2, 10 steps): 7 in the 7
	   bucket, 25 in 20..29, 250 in 200..299, -3 mirrored, 5000 above */
	@ll = llquantize(7, 10, 0, 2, 10);
	@ll = llquantize(25, 10, 0, 2, 10);
	@ll = llquantize(250, 10, 0, 2, 10, 2);
	@ll = llquantize(-3, 10, 0, 2, 10);
	@ll = llquantize(5000, 10, 0, 2, 10);
	/* fired, with nothing to count: shown; never fired: not shown */
	@z = quantize(1, 0);
	exit(0);
}
tick-1h
{
	@never = quantize(1);
}
