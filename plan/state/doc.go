// Package state owns evalplan's state file: its document type ([File]), canonical
// serialisation ([Marshal]: sorted keys at every level, two-space indent, trailing newline, so
// the file diffs well in git), crash-safe writes ([WriteAtomic]: temp file, fsync, rename,
// fsync of the directory, with the previous version kept in <state>.backup), the in-memory
// store of one apply that persists after every change ([Store]), and the lock that guards a
// state file ([Acquire]: flock on <state>.lock with the holder's details in it).
//
// Decisions a successor would otherwise rediscover:
//   - Untyped values (outputs, inputs, compare) are plain JSON values as encoding/json decodes
//     them (numbers as float64), which is what [Load] returns; [Normalize] brings a freshly
//     computed value into the same form before comparing it with one from state. [Marshal]
//     keeps numbers exactly as encoding/json writes them.
//   - The serial belongs to the [Store]: it bumps only when the canonical bytes, serial
//     aside, change. A fresh [New] file is serial 0 and is not written until something changes.
//   - The backup is a hard link to the replaced file (the file is only ever replaced, never
//     written in place), falling back to a copy where links are unsupported.
//   - flock belongs to an open file description, so a second [Acquire] in the same process
//     fails like one from another process. The lock file is never removed (removing it would
//     let two processes lock different inodes); [Lock.Release] empties it.
//
// It imports plan/result and nothing else from evalplan; in particular it never imports
// providers. Secrets never enter state, so no type here has a place for them.
package state
