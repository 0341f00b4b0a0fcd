"""What every domain shares: the model base, errors, auth decorators, jobs, mail, i18n."""
