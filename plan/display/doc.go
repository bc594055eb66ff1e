// Package display owns how evalplan writes sizes and identities for people: byte counts in
// powers of 1000 as docker prints them ([Bytes]) or of 1024 ([IBytes]), and identities and
// sha256 digests shortened to their first 12 characters ([ShortID]), as plan lines, run
// directories, reports and exported run names show them.
//
// It is a leaf: it imports nothing from evalplan, so plan/, its subpackages, providers/ and
// cmd/ may all use it.
package display
