// A small CodeMirror stream mode for redis-cli input: a command name first
// on each line, then its arguments; quoted strings; # comments.
export const redis = {
  name: 'redis',
  startState() {
    return { atLineStart: true };
  },
  token(stream, state) {
    if (stream.sol()) state.atLineStart = true;
    if (stream.eatSpace()) return null;
    if (state.atLineStart && stream.peek() === '#') {
      stream.skipToEnd();
      return 'comment';
    }
    const ch = stream.peek();
    if (ch === '"' || ch === "'") {
      stream.next();
      let escaped = false;
      while (!stream.eol()) {
        const c = stream.next();
        if (c === ch && !escaped) break;
        escaped = !escaped && c === '\\' && ch === '"';
      }
      state.atLineStart = false;
      return 'string';
    }
    stream.eatWhile(/[^\s"']/);
    const word = stream.current();
    if (state.atLineStart) {
      state.atLineStart = false;
      return 'keyword';
    }
    if (/^-?\d+(\.\d+)?$/.test(word)) return 'number';
    return 'variableName';
  },
  languageData: { commentTokens: { line: '#' } },
};
