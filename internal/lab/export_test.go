package lab

// ToxiproxyRestarts counts how many times Toxiproxy's child process was
// restarted after it crashed or wedged.
func (l *Lab) ToxiproxyRestarts() int { return l.toxi.Restarts() }
