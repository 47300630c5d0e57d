"""The supervisors' web console (`cicada console`): sign-in and the live wallboard, one folder
per capability (signin/, wallboard/), wired together in admin_console.app."""
