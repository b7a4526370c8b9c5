"""Loading a data folder and validating it against the data contract.

(Being written: see issue 2.) Public API:

``load_data(data_dir) -> LoadResult`` reads one CSV or Parquet file per table,
named after the table (``stays.csv`` or ``stays.parquet``), validates every row
and every cross-table rule in one pass and returns the accepted rows, typed as
the contract declares, with the rejects and the counts.
"""
