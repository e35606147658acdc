//go:build modernc

package main

import _ "modernc.org/sqlite"

const driverName, driverLabel = "sqlite", "modernc.org/sqlite"

func dsn(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-32768)"
}
