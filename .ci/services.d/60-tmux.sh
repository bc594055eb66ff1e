# tmux, for the test that drives `evalplan init`'s interactive wizard in a real pseudo-terminal
# (cmd/evalplan/init_test.go). Not a server: the test starts its own tmux server on a private
# socket and kills it afterwards. Sourced by .ci/services.sh (export_env, apt_install).
apt_install tmux
export_env EVALPLAN_TEST_TMUX "$(command -v tmux)"
