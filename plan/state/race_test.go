//go:build race

package state

// raceEnabled is true under the race detector, which changes what code allocates
// (sync.Pool drops items at random).
const raceEnabled = true
