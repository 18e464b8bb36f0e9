/* print-exe: prints what the kernel says this process runs and where: "exe <path> <dev> <ino>" and "cwd <path>". */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void)
{
	char exe[PATH_MAX + 1], cwd[PATH_MAX + 1];
	ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX);
	if (n < 0 || !getcwd(cwd, sizeof(cwd)))
		return 1;
	exe[n] = 0;
	struct stat st;
	if (stat("/proc/self/exe", &st))
		return 1;
	printf("exe %s %u:%u %lu\ncwd %s\n", exe, major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino, cwd);
	return 0;
}
