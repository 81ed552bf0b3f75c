"""What the fan means: the kind of message, the film in focus across turns and on a post's
page, and (with a chat model) the follow-up rewritten as a standalone question."""
