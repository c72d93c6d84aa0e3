// Package config chooses and configures a processor at run time, like
// database/sql chooses a driver: by a registered name ([Register], [Open],
// [Names]) and from the process environment ([LoadEnv], [OpenEnv]). It sits
// above the packages it configures: a function that builds its processor in
// code does not need it.
package config
