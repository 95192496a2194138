"""Cisco IP Phone Services: the XML pages behind the Services and Directories keys.

Pure engine code (no Home Assistant): the XML objects and their limits
(``objects``), a checker of served XML against the object rules
(``validate``), the phonebook reader (``phonebook``), the pages a phone browses
(``pages``), and the push to a phone's ``/CGI/Execute`` (``push``).
"""
