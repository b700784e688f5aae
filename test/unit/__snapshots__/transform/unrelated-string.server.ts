
// unchanged