"""wcsim: a simulated fleet of Windows Server container hosts speaking WinRM.

It is a simulator. No PowerShell runs here: each module the collection or
ansible.windows sends is recognised by name and modelled in Python.
"""
