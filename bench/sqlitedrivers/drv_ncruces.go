//go:build ncruces

package main

import _ "github.com/ncruces/go-sqlite3/driver"

const driverName, driverLabel = "sqlite3", "github.com/ncruces/go-sqlite3"

func dsn(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-32768)"
}
