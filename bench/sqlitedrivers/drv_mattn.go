//go:build mattn

package main

import _ "github.com/mattn/go-sqlite3"

const driverName, driverLabel = "sqlite3", "github.com/mattn/go-sqlite3 (cgo)"

func dsn(path string) string {
	return "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_cache_size=-32768"
}
