"""The error an agent's command gets back; the message is meant for the agent."""


class CommandError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
