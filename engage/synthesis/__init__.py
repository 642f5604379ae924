"""The synthesis workspace: themes found in the text input, opinion groups on agree/disagree
votes, summaries citing input, the Climate City Contract draft."""
