/* OPTIONS: -q */
/* quantize() and lquantize(): power-of-two and linear buckets (below base
   and from limit on), increments, negative values, several keys sorted by
   the sum of value x count, and DTrace's bars. */
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
	exit(0);
}
