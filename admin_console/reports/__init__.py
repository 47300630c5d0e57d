"""The report pages: the queue report with its chart, the contacts behind each count, exports."""
