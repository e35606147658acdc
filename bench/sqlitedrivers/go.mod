module github.com/guarantor-project/guarantor/bench/sqlitedrivers

go 1.26.8

require github.com/guarantor-project/guarantor v0.0.0

replace github.com/guarantor-project/guarantor => ../..
