-- One C call that backtracks for ages: SCRIPT KILL cannot reach it.
return string.find(string.rep('a', 400), 'a-a-a-a-a-a-b')
